/** The live page in a real browser (Debian's Chromium): subscribe, receive, publish, escape, reconnect, recover, reload history. */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { chromium, type Page } from 'playwright-core'
import { settle, startApp, TestClient } from './helper.js'

const WAIT_MS = 15_000

const { app, url, wsUrl } = await startApp(t)
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
})
t.teardown(() => browser.close())
const page = await browser.newPage()
page.setDefaultTimeout(WAIT_MS)

/** GET /topics/:topic's subscriber count, or the HTTP status when the server does not know the topic. */
async function subscriberCount (topic: string, base = url): Promise<unknown> {
  const response = await fetch(`${base}/topics/${topic}`)
  return response.ok ? (await response.json() as { subscribers: number }).subscribers : response.status
}

/** Polls the server until GET /topics/:topic reports that many subscribers. */
async function waitForSubscribers (topic: string, count: number, base = url): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  let last: unknown
  while (Date.now() < deadline) {
    last = await subscriberCount(topic, base)
    if (last === count) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`topic ${topic} has ${String(last)} subscribers, not ${count}`)
}

async function publishText (topic: string, text: string, base = url): Promise<void> {
  const response = await fetch(`${base}/publish/${topic}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text })
  if (!response.ok) throw new Error(`POST /publish/${topic} answered ${response.status}: ${await response.text()}`)
}

/** Records every state #status goes through from now on in window.__states, so a short one is not missed. */
async function watchStates (p: Page): Promise<void> {
  await p.evaluate(`(() => {
    const status = document.getElementById('status')
    const states = window.__states = []
    window.__stateWatcher?.disconnect()
    window.__stateWatcher = new MutationObserver(() => states.push(status.dataset.state))
    window.__stateWatcher.observe(status, { attributes: true, attributeFilter: ['data-state'] })
  })()`)
}

async function waitForState (p: Page, state: string): Promise<void> {
  await p.waitForFunction(`document.getElementById('status').dataset.state === ${JSON.stringify(state)}`)
}

/** Closes every WebSocket from the server side, as a restarting proxy would. */
function cutSockets (server: FastifyInstance): void {
  for (const connection of server.connections.open) connection.close(1001, 'test')
}

/** The texts of #messages' items, top (newest) first. */
async function shownMessages (p: Page): Promise<string[]> {
  return p.locator('#messages li .message').allTextContents()
}

/** How many items of #messages show exactly `text`. */
async function timesShown (p: Page, text: string): Promise<number> {
  return (await shownMessages(p)).filter((shown) => shown === text).length
}

/** The <li> in #messages whose .message text is exactly `text`, once it is there. */
async function messageItem (p: Page, text: string) {
  const item = p.locator('#messages li').filter({ has: p.locator('.message').getByText(text, { exact: true }) })
  await item.first().waitFor()
  return item
}

t.test('connects to the host it was served from', async (t) => {
  const socket = page.waitForEvent('websocket')
  await page.goto(url)
  t.equal((await socket).url(), wsUrl, 'the socket goes to the page\'s own host')
  await page.locator('#status[data-state="connected"]').waitFor()
  t.equal(await page.locator('#topic-input').inputValue(), 'booked', 'the topic input is prefilled')
  t.equal(await page.locator('#subscriptions li').count(), 0, 'no subscription on first load')
})

t.test('subscribes through the page and receives a booking published over HTTP', async (t) => {
  await page.locator('#subscribe-button').click()
  await page.locator('#subscriptions li[data-topic="booked"][data-state="active"]').waitFor()
  await waitForSubscribers('booked', 1)

  const booking = '1673254205340:2199:32925:en00030'
  await publishText('booked', booking)
  const item = await messageItem(page, booking)
  t.equal(await item.count(), 1, 'the booking shows once')
  t.equal(await item.locator('.topic').textContent(), 'booked')
  t.match(await item.locator('.time').textContent(), /\d{1,2}:\d{2}:\d{2}/, 'with the local receive time')
  t.equal(await item.locator('.offset').textContent(), '#1', 'and its offset in the topic')
  t.equal(await page.locator('#messages li').first().locator('.message').textContent(), booking, 'newest first')
})

t.test('shows a message as text, never as HTML', async (t) => {
  const hostile = '<img src=x onerror="window.__xss=1">'
  await publishText('booked', hostile)
  const item = await messageItem(page, hostile)
  t.equal(await item.locator('.message').textContent(), hostile, 'the markup shows literally')
  t.equal(await page.locator('#messages img').count(), 0, 'no element was made from it')
  t.equal(await page.evaluate('typeof window.__xss'), 'undefined', 'no script ran')
})

t.test('publishes from the page to a WebSocket subscriber', async (t) => {
  const client = await TestClient.connect(t, wsUrl)
  t.equal((await client.request({ action: 'subscribe', topic: 'booked' })).action, 'subscribed')

  const message = 'from the page 1673254205399:2201:32927:en00032'
  await page.locator('#publish-topic').fill('booked')
  await page.locator('#publish-message').fill(message)
  await page.locator('#publish-button').click()

  const frame = await client.waitFor((f) => f.action === 'publish' && f.message === message, WAIT_MS)
  t.match(frame, { action: 'publish', topic: 'booked', message, offset: Number, epoch: String })
  await page.locator('#publish-result', { hasText: 'delivered to 2 subscribers' }).waitFor()
  await messageItem(page, message)

  client.socket.close()
  await waitForSubscribers('booked', 1)
})

t.test('lists the topics from GET /topics', async (t) => {
  // the table refreshes every 2 s: wait for the figures after the WebSocket client left
  const row = page.locator('#topics-table tbody tr[data-topic="booked"]')
    .filter({ has: page.locator('td:nth-child(2)', { hasText: /^1$/ }) })
    .filter({ has: page.locator('td:nth-child(3)', { hasText: /^3$/ }) })
  await row.waitFor()
  const cells = await row.locator('td').allTextContents()
  t.equal(cells[0], 'booked')
  t.equal(cells[1], '1', 'subscribers')
  t.equal(cells[2], '3', 'published')
  t.not(cells[4], '—', 'last published time')
})

t.test('reconnects after the server drops the socket, and resubscribes', async (t) => {
  await watchStates(page)
  t.equal(app.connections.open.size, 1, 'only the page is connected')
  cutSockets(app)

  await page.waitForFunction('window.__states.includes("reconnecting") && document.getElementById("status").dataset.state === "connected"')
  const states = await page.evaluate('window.__states') as string[]
  t.ok(states.indexOf('reconnecting') < states.lastIndexOf('connected'), `went reconnecting, then connected: ${states.join(' > ')}`)

  await page.locator('#subscriptions li[data-topic="booked"][data-state="active"]').waitFor()
  await waitForSubscribers('booked', 1)
  const booking = '1673254205341:2200:32926:en00031'
  await publishText('booked', booking)
  const item = await messageItem(page, booking)
  t.equal(await item.locator('.topic').textContent(), 'booked', 'still receives booked after reconnecting')
})

t.test('the live page shows bookings published while it was disconnected once it reconnects', async (t) => {
  await page.locator('#subscriptions li[data-topic="booked"][data-state="active"]').waitFor()
  const before = '1673254205342:2202:32928:en00033'
  await publishText('booked', before)
  await messageItem(page, before)

  await watchStates(page)
  cutSockets(app)
  await waitForState(page, 'reconnecting')
  // the client's first reconnect waits 250 to 500 ms: these go out well before it
  const missed = ['1673254205343:2203:32929:en00034', '1673254205344:2204:32930:en00035', '1673254205345:2205:32931:en00036']
  for (const booking of missed) await publishText('booked', booking)
  t.same(await page.evaluate('window.__states'), ['reconnecting'], 'the page was reconnecting all the while they were published')
  t.equal(await subscriberCount('booked'), 0, 'and the server had no subscriber to hand them to')

  await waitForState(page, 'connected')
  for (const booking of missed) await messageItem(page, booking)
  // a duplicate would arrive with the replay: give it time to show
  await settle(200)
  for (const booking of [before, ...missed]) t.equal(await timesShown(page, booking), 1, `${booking} shows once`)
  const shown = await shownMessages(page)
  const order = [...missed].reverse().concat(before).map((booking) => shown.indexOf(booking))
  t.same(order, [...order].sort((a, b) => a - b), 'newest first, in the order they were published')
  const offsets = await Promise.all([...missed].reverse().concat(before).map(async (booking) => (await messageItem(page, booking)).locator('.offset').textContent()))
  const numbers = offsets.map((offset) => Number(offset?.slice(1)))
  t.same(numbers, [numbers[3] + 3, numbers[3] + 2, numbers[3] + 1, numbers[3]], `with consecutive offsets: ${offsets.join(' ')}`)
  t.equal(await page.locator('#notice').textContent(), '', 'no reset: every missed booking was replayed')
})

t.test('reloads the history when the missed bookings fell out of it', async (t) => {
  const small = await startApp(t, { HISTORY_SIZE: 2 })
  const p = await browser.newPage()
  t.teardown(() => p.close())
  p.setDefaultTimeout(WAIT_MS)
  await p.goto(small.url)
  await p.locator('#subscribe-button').click()
  await p.locator('#subscriptions li[data-topic="booked"][data-state="active"]').waitFor()
  await waitForSubscribers('booked', 1, small.url)
  const before = '1673254205350:2210:32940:en00040'
  await publishText('booked', before, small.url)
  await messageItem(p, before)

  await watchStates(p)
  cutSockets(small.app)
  await waitForState(p, 'reconnecting')
  const missed = [1, 2, 3, 4, 5].map((n) => `1673254205351:221${n}:3294${n}:en0004${n}`)
  for (const booking of missed) await publishText('booked', booking, small.url)
  t.same(await p.evaluate('window.__states'), ['reconnecting'], 'all five were published while the page was reconnecting')

  await p.locator('#notice', { hasText: /^booked: history reloaded \(missed messages were no longer kept\), 2 messages added$/ }).waitFor()
  await waitForState(p, 'connected')
  // the history keeps the last two
  const kept = missed.slice(-2)
  for (const booking of kept) {
    const item = await messageItem(p, booking)
    t.equal(await item.count(), 1, `${booking} shows once`)
    t.equal(await item.getAttribute('data-source'), 'history', 'from the history')
  }
  for (const booking of missed.slice(0, 3)) t.equal(await timesShown(p, booking), 0, `${booking}, no longer kept, does not show`)
  t.equal(await timesShown(p, before), 1, 'what was shown before stays, once')
  t.same(await shownMessages(p), [...kept].reverse().concat(before), 'the history shows newest first, above what came before')

  const after = '1673254205357:2217:32947:en00047'
  await publishText('booked', after, small.url)
  await messageItem(p, after)
  t.equal((await shownMessages(p))[0], after, 'live bookings follow on top')
  await p.close()
})

t.test('unsubscribes through the page', async (t) => {
  await page.locator('#subscriptions li[data-topic="booked"] button').click()
  await waitForSubscribers('booked', 0)
  t.equal(await page.locator('#subscriptions li').count(), 0)
})
