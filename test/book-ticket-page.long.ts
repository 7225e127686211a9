/** "Book a ticket" on the live page in headless Chromium under the server's CSP, driven by roles and labels, with the real example worker. */
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { BookingWorker } from '../examples/booking-worker.js'
import { launchChromium, openPage, type WatchedPage } from './browser.js'
import { startApp } from './helper.js'
import { QueueClient } from './queue/http.js'

t.setTimeout(180_000)
const browser = await launchChromium(t)

/** The board at `url`, live. */
async function openBoard (t: Test, url: string): Promise<WatchedPage> {
  const board = await openPage(t, browser, url)
  await board.page.getByRole('status').and(board.page.locator('#status')).filter({ hasText: 'Live' }).waitFor()
  return board
}

async function book (page: Page, visitor: string): Promise<void> {
  const form = page.getByRole('region', { name: 'Book a ticket' })
  await form.getByLabel('Visitor number').fill(visitor)
  await form.getByLabel('Zone').fill('en00030')
  await form.getByRole('button', { name: 'Book' }).click()
}

const progress = (page: Page) => page.getByRole('status', { name: 'Booking progress' })

t.test('a booking waits its turn, counts down, is confirmed by the worker and appears on the board', async (t) => {
  const { url } = await startApp(t, { POSITION_INTERVAL_MS: 50 })
  const q = new QueueClient(url)
  // two customers ahead in line
  await q.enqueue({ visitor: 1, zone: 'en00030' })
  await q.enqueue({ visitor: 2, zone: 'en00030' })
  const { page, violations } = await openBoard(t, url)
  await book(page, '2199')
  await progress(page).filter({ hasText: 'Place in line: 3' }).waitFor()
  // a slow worker, so each place shows long enough to be seen
  const worker = new BookingWorker({ url, pace: 2, failureRate: 0 })
  const running = worker.run()
  t.teardown(async () => { worker.stop(); await running })
  await progress(page).filter({ hasText: 'Place in line: 2' }).waitFor()
  await progress(page).filter({ hasText: 'Booking confirmed: ticket 3 in zone en00030' }).waitFor()
  const row = page.getByRole('table', { name: 'Bookings' }).locator('tbody').getByRole('row')
    .filter({ has: page.getByRole('cell', { name: '2199', exact: true }) })
  await row.first().waitFor()
  t.same((await row.first().getByRole('cell').allInnerTexts()).slice(1, 4).map((s) => s.trim()), ['2199', '3', 'en00030'], 'on the board with its ticket')
  t.same(violations, [], 'no CSP violation')
})

t.test('a booking the worker keeps refusing ends in a failure the customer reads', async (t) => {
  const { url } = await startApp(t, { POSITION_INTERVAL_MS: 50, JOB_MAX_ATTEMPTS: 1 })
  const { page } = await openBoard(t, url)
  const worker = new BookingWorker({ url, pace: 20, failureRate: 1, random: () => 0 })
  const running = worker.run()
  t.teardown(async () => { worker.stop(); await running })
  await book(page, '2200')
  await progress(page).filter({ hasText: 'Booking failed: no seat left in the zone' }).waitFor()
  t.ok(await page.getByRole('button', { name: 'Book', exact: true }).isEnabled(), 'the customer may try again')
})
