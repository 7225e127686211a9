/** Headless Chromium for the page tests (Debian's, through playwright-core), and pages that record what their CSP refused. */
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Teardown } from './helper.js'

/** How long a page waits for what it looks for: a dozen pages share a busy 2-core machine. */
export const PAGE_WAIT_MS = 15_000

/** Launches Chromium, closed when the test ends. */
export async function launchChromium (t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
  })
  t.teardown(() => browser.close())
  return browser
}

export interface WatchedPage {
  page: Page
  /** What the browser refused under the server's Content-Security-Policy. */
  violations: string[]
}

/** Opens `url` in a new page, closed when the test ends, that notes every CSP violation. */
export async function openPage (t: Teardown, browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport })
  t.teardown(() => page.close())
  page.setDefaultTimeout(PAGE_WAIT_MS)
  const violations: string[] = []
  page.on('console', (message) => { if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text()) })
  await page.exposeFunction('reportViolation', (text: string) => { violations.push(text) })
  await page.addInitScript('document.addEventListener("securitypolicyviolation", (e) => window.reportViolation(e.violatedDirective + " " + e.blockedURI))')
  await page.goto(url)
  return { page, violations }
}
