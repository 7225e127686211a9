/** The live page under proxyer's Content-Security-Policy in Chromium: it connects, works, and the console shows no violation. */
import t from 'tap'
import { chromium } from 'playwright-core'
import { startApp } from '../helper.js'

t.setTimeout(120_000)

t.test('the live page passes its CSP: connected, publishes, no violation', async (t) => {
  const { url } = await startApp(t)
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const violations: string[] = []
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()) })
  await page.exposeFunction('reportViolation', (text: string) => { violations.push(text) })
  await page.addInitScript('document.addEventListener("securitypolicyviolation", (e) => window.reportViolation(e.violatedDirective + " " + e.blockedURI))')
  await page.goto(url)
  await page.getByRole('status').filter({ hasText: 'Live' }).first().waitFor({ timeout: 30_000 })
  await page.getByText('Tools: topics, publish a test booking').click()
  await page.getByLabel('Message').fill('csp-check')
  await page.getByRole('button', { name: 'Publish' }).click()
  await page.getByRole('row').filter({ hasText: 'csp-check' }).first().waitFor({ timeout: 30_000 })
  t.same(violations, [], 'no CSP violation on the page')
})
