// Shared by graphiql.mjs and docs.mjs: Debian's Chromium, headless, with every
// request that leaves this machine aborted, so a page that still needs a CDN fails
// here exactly as it would on a server without internet access.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { chromium } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

// Background-networking flags: otherwise Chromium dials Google's services at start,
// which a closed network refuses (noise in the log, and not what is being tested).
const ARGS = [
  '--no-sandbox', // runs as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Runs `check(page, seen)` in a fresh page, prints one JSON line with what it
 * returned plus the network record, and exits 0 (or 1 if it threw). A screenshot is
 * saved at `screenshot` either way, so a failure can be looked at.
 */
export async function run (screenshot, check) {
  const seen = { blocked: [], failed: [], consoleErrors: [] }
  let browser
  let page
  let result = {}
  let error = null
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
    await context.route('**/*', route => {
      const url = new URL(route.request().url())
      if (LOCAL_HOSTS.has(url.hostname) || url.hostname === '::1') return route.continue()
      seen.blocked.push(url.href)
      return route.abort('blockedbyclient')
    })
    page = await context.newPage()
    page.on('requestfailed', r => {
      if (!seen.blocked.includes(r.url())) seen.failed.push(`${r.url()}: ${r.failure()?.errorText}`)
    })
    page.on('response', r => {
      if (r.status() >= 400) seen.failed.push(`${r.url()}: HTTP ${r.status()}`)
    })
    page.on('console', m => { if (m.type() === 'error') seen.consoleErrors.push(m.text()) })
    page.on('pageerror', e => seen.consoleErrors.push(String(e)))
    result = await check(page, seen)
  } catch (e) {
    error = String(e?.stack ?? e)
  }
  try {
    if (page) {
      mkdirSync(dirname(screenshot), { recursive: true })
      await page.screenshot({ path: screenshot, fullPage: false })
    }
  } catch (e) {
    error ??= `screenshot: ${e}`
  }
  await browser?.close()
  console.log(JSON.stringify({ ok: error === null, error, screenshot, ...result, ...seen }))
  process.exit(error === null ? 0 : 1)
}

export function args (usage) {
  const [base, screenshot] = process.argv.slice(2)
  if (!base || !screenshot) {
    console.error(`usage: node ${usage} <base-url> <screenshot.png>`)
    process.exit(2)
  }
  return { base: base.replace(/\/$/, ''), screenshot }
}
