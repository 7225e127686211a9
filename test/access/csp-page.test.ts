/** The live page under proxyer's Content-Security-Policy in Chromium: it connects, works, and the console shows no violation. */
import t from 'tap'
import { launchChromium, openPage } from '../browser.js'
import { startApp } from '../helper.js'

t.setTimeout(120_000)

t.test('the live page passes its CSP: connected, publishes, no violation', async (t) => {
  const { url } = await startApp(t)
  const browser = await launchChromium(t)
  const { page, violations } = await openPage(t, browser, url)
  await page.getByRole('status').filter({ hasText: 'Live' }).first().waitFor()
  await page.getByText('Tools: topics, publish a test booking').click()
  await page.getByLabel('Message').fill('csp-check')
  await page.getByRole('button', { name: 'Publish' }).click()
  await page.getByRole('row').filter({ hasText: 'csp-check' }).first().waitFor()
  t.same(violations, [], 'no CSP violation on the page')
})
