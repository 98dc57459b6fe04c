// GraphiQL at <base>/graphql, outside network blocked: loads, runs a query typed into
// its editor, shows the rows. Usage: node graphiql.mjs <base-url> <screenshot.png>
// Prints one JSON line: { ok, title, query, response, messages, resultText, blocked,
// failed, consoleErrors, screenshot }.
import { args, run } from './browser.mjs'

const { base, screenshot } = args('graphiql.mjs')
const QUERY = '{ logs(first: 5) { nodes { id message } } }'
const TIMEOUT = 30_000

await run(screenshot, async page => {
  await page.goto(`${base}/graphql`, { waitUntil: 'load', timeout: TIMEOUT })
  const title = await page.title()

  // The query editor is CodeMirror 5; its API sets the text as typing would (typing
  // itself would fight the editor's bracket auto-closing).
  const editor = page.locator('.graphiql-query-editor .CodeMirror').first()
  await editor.waitFor({ state: 'visible', timeout: TIMEOUT })
  await editor.evaluate((el, q) => el.CodeMirror.setValue(q), QUERY)
  const query = await editor.evaluate(el => el.CodeMirror.getValue())

  await page.locator('.graphiql-execute-button').click({ timeout: TIMEOUT })

  // Done when the result pane shows a seeded row ("message <n>"), as a user sees it.
  const pane = page.locator('.graphiql-response')
  await pane.getByText(/"message \d+"/).first().waitFor({ state: 'visible', timeout: TIMEOUT })
  const resultText = await pane.innerText()
  const raw = await pane.locator('.CodeMirror').first().evaluate(el => el.CodeMirror.getValue())
  const response = JSON.parse(raw)
  const messages = (response?.data?.logs?.nodes ?? []).map(n => n.message)
  return { title, query, response, messages, resultText }
})
