// The API docs page at <base>/docs, outside network blocked: Swagger UI renders the
// API's title and its operations. Usage: node docs.mjs <base-url> <screenshot.png>
// Prints one JSON line: { ok, title, heading, operations, blocked, failed,
// consoleErrors, screenshot }.
import { args, run } from './browser.mjs'

const { base, screenshot } = args('docs.mjs')
const TIMEOUT = 30_000

await run(screenshot, async page => {
  const response = await page.goto(`${base}/docs`, { waitUntil: 'load', timeout: TIMEOUT })
  if (!response?.ok()) throw new Error(`GET /docs answered ${response?.status()}`)
  const title = await page.title()

  // Rendered only once Swagger UI has loaded and parsed /openapi.json.
  const heading = page.locator('.swagger-ui .info .title').first()
  await heading.waitFor({ state: 'visible', timeout: TIMEOUT })
  // Swagger UI puts zero-width spaces into paths (line-break hints): compared without.
  const operations = () => [...document.querySelectorAll('.swagger-ui .opblock-summary')]
    .filter(op => op.checkVisibility())
    .map(op => ['method', 'path'].map(part =>
      op.querySelector(`.opblock-summary-${part}`)?.textContent?.replace(/\u200b/g, '').trim()).join(' '))
  await page.waitForFunction(
    `(${operations})().some(op => op.endsWith(' /logs'))`, null, { timeout: TIMEOUT })
  return { title, heading: (await heading.innerText()).trim(), operations: await page.evaluate(operations) }
})
