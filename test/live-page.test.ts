/** The bookings board in a real browser (Debian's Chromium) under the server's CSP, driven by roles and labels: decoded columns, the URL's topics, history, the connection banner, a persistent failure, the phone layout, screenshots. */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { launchChromium, openPage, PAGE_WAIT_MS, type WatchedPage } from './browser.js'
import { cutSockets, eventually, postText, publish, startApp, TestClient, waitForStatus } from './helper.js'
import { projectRoot } from '../src/project-root.js'
import { RedisServer } from './redis-server.js'

/** Screenshots for a person to look at; git-ignored. */
const SHOTS = join(projectRoot, 'screenshots')

// a dozen pages in Chromium, one waiting on a Redis restart, on a busy 2-core machine
t.setTimeout(300_000)
const { app, url, wsUrl } = await startApp(t)
const browser = await launchChromium(t)
await mkdir(SHOTS, { recursive: true })

/** Opens the board at `base` + `path` in a new page, under the server's Content-Security-Policy, closed when the test ends. */
async function openBoard (t: Test, base: string, path = '/', viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  return openPage(t, browser, base + path, viewport)
}

/** The chip of `topic` in the board's "Topics shown" list, once it shows `state`. */
async function topicShown (page: Page, topic: string, state = 'active'): Promise<void> {
  await page.getByRole('list', { name: 'Topics shown' }).getByRole('listitem').filter({ hasText: topic }).and(page.locator(`[data-state="${state}"]`)).waitFor()
}

/** The board's rows (bookings), newest first. */
function rows (page: Page) {
  return page.getByRole('table', { name: 'Bookings' }).locator('tbody').getByRole('row')
}

/** The row of the booking whose visitor (or details) shows `text`. */
async function rowWith (page: Page, text: string) {
  const row = rows(page).filter({ has: page.getByRole('cell', { name: text, exact: true }) })
  await row.first().waitFor()
  return row
}

/** The cells of a row as text: time, visitor, ticket, zone, details, topic. */
async function cells (row: ReturnType<Page['locator']>): Promise<string[]> {
  return (await row.getByRole('cell').allInnerTexts()).slice(0, 6).map((text) => text.trim())
}

async function subscriberCount (topic: string, base = url): Promise<unknown> {
  const response = await fetch(`${base}/topics/${topic}`)
  return response.ok ? (await response.json() as { subscribers: number }).subscribers : response.status
}

async function waitForSubscribers (topic: string, count: number, base = url): Promise<void> {
  await eventually(async () => (await subscriberCount(topic, base)) === count, `${topic} has ${count} subscribers`, PAGE_WAIT_MS)
}

async function publishText (topic: string, text: string, base = url): Promise<void> {
  const response = await postText(base, topic, text)
  if (!response.ok) throw new Error(`POST /publish/${topic} answered ${response.status}: ${await response.text()}`)
}

const status = (page: Page) => page.getByRole('status').and(page.locator('#status'))
const banner = (page: Page) => page.getByRole('region', { name: 'Connection' })

// bookings published before anyone looks: the board draws them from the history on load
const first = ['1673254205340:2199:32925:en00030', '1673254205341:2200:32926:pg00003']

t.test('on load: subscribed to booked, its last bookings drawn from the history, decoded into columns, the raw text a click away', async (t) => {
  for (const booking of first) await publishText('booked', booking)
  await publish(url, 'booked', { visitor: 2201, ticket: 32927, zone: 'en00031', time: 1673254205342, party: 4 })
  await publishText('booked', 'not a booking <b>at all</b>')
  const { page, violations } = await openBoard(t, url)
  await topicShown(page, 'booked')
  await waitForSubscribers('booked', 1)
  await status(page).filter({ hasText: 'Live' }).waitFor()

  const row = await rowWith(page, '2199')
  const [time, visitor, ticket, zone, details, topic] = await cells(row)
  t.same([visitor, ticket, zone, details], ['2199', '32925', 'en00030', 'reloaded'], 'visitor, ticket and zone columns; tagged as reloaded from the history')
  t.equal(time, await page.evaluate((ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }), 1673254205340), 'the booking\'s own time')
  t.equal(await row.locator('time').getAttribute('datetime'), new Date(1673254205340).toISOString())
  t.equal(topic, 'booked #1')

  const json = await cells(await rowWith(page, '2201'))
  t.same(json.slice(1, 5), ['2201', '32927', 'en00031', 'party: 4 reloaded'], 'a JSON object as its fields, the others in details')
  const text = await cells(rows(page).filter({ hasText: 'not a booking' }))
  t.same(text.slice(1, 5), ['', '', '', 'not a booking <b>at all</b> reloaded'], 'other text as it came, never as HTML')
  t.equal(await page.locator('tbody b').count(), 0)

  const raw = page.getByRole('button', { name: 'Raw text of booked #1' })
  t.equal(await raw.getAttribute('aria-expanded'), 'false')
  t.notOk(await page.getByText(first[0], { exact: true }).isVisible(), 'the raw text is folded')
  await raw.click()
  t.equal(await raw.getAttribute('aria-expanded'), 'true')
  t.ok(await page.getByText(first[0], { exact: true }).isVisible(), 'and shows on a click')
  t.same(await rows(page).locator('td.visitor').allTextContents(), ['', '2201', '2200', '2199'], 'newest first')
  t.same(violations, [], 'nothing refused under a strict Content-Security-Policy')
})

t.test('live bookings go on top, announced politely and at most once every few seconds', async (t) => {
  const { page } = await openBoard(t, url)
  await topicShown(page, 'booked')
  await waitForSubscribers('booked', 1)
  await page.evaluate(`(() => {
    const region = document.getElementById('announcer')
    window.__said = []
    new MutationObserver(() => window.__said.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true })
  })()`)
  t.equal(await page.locator('#announcer').getAttribute('aria-live'), 'polite')
  const live = ['1673254205350:2301:33001:en00050', '1673254205351:2302:33002:en00051', '1673254205352:2303:33003:en00052']
  for (const booking of live) await publishText('booked', booking)
  await rowWith(page, '2303')
  t.same((await rows(page).locator('td.visitor').allTextContents()).slice(0, 3), ['2303', '2302', '2301'], 'on top, newest first')
  // a function, not a string: the page's CSP allows no eval
  await page.waitForFunction(() => (globalThis as any).__said.some((said: string) => said.includes('visitor 2303')))
  const said = await page.evaluate('window.__said') as string[]
  t.ok(said.length <= 2, `${live.length} bookings told in at most two announcements: ${JSON.stringify(said)}`)
  t.match(said.at(-1), /new booking.*booked, visitor 2303, zone en00052/i)
})

t.test('the topics come from the URL, and showing or hiding one keeps the URL in step', async (t) => {
  const { page } = await openBoard(t, url, '/?topics=booked,paid,no/slash')
  await topicShown(page, 'booked')
  await topicShown(page, 'paid')
  await waitForSubscribers('paid', 1)
  await publish(url, 'paid', { visitor: 2401, ticket: 34001, zone: 'pg00010', amount: '12.50' })
  const paid = await cells(await rowWith(page, '2401'))
  t.same(paid.slice(1, 6), ['2401', '34001', 'pg00010', 'amount: 12.50', 'paid #1'])

  await page.getByText('Tools: topics, publish a test booking').click()
  await page.getByText(/^Left out of the URL's topics: no\/slash\./).waitFor()
  await page.getByLabel('Topic to show').fill('visits')
  await page.getByRole('button', { name: 'Show topic' }).click()
  await topicShown(page, 'visits')
  t.equal(new URL(page.url()).searchParams.get('topics'), 'booked,paid,visits')
  await page.getByRole('button', { name: 'Stop showing paid' }).click()
  await waitForSubscribers('paid', 0)
  t.equal(new URL(page.url()).searchParams.get('topics'), 'booked,visits', 'a view to bookmark and share')
})

t.test('after a reload the board shows the last bookings again, from the history', async (t) => {
  const { page } = await openBoard(t, url)
  await rowWith(page, '2303')
  await page.reload()
  await topicShown(page, 'booked')
  const row = await rowWith(page, '2303')
  t.match(await cells(row), [/\d:\d\d:\d\d/, '2303', '33003', 'en00052', 'reloaded', /^booked #\d+$/])
  t.ok(await rows(page).count() >= 6, 'every booking so far')
})

t.test('publishes from the folded tools to a WebSocket subscriber', async (t) => {
  const { page } = await openBoard(t, url)
  await topicShown(page, 'booked')
  const client = await TestClient.connect(t, wsUrl)
  t.equal((await client.request({ action: 'subscribe', topic: 'booked' })).action, 'subscribed')
  t.notOk(await page.getByRole('button', { name: 'Publish' }).isVisible(), 'the tools start folded')
  await page.getByText('Tools: topics, publish a test booking').click()
  const message = '1673254205399:2501:32927:en00032'
  await page.getByLabel('Topic to publish to').fill('booked')
  await page.getByLabel('Message').fill(message)
  await page.getByRole('button', { name: 'Publish' }).click()
  t.match(await client.waitFor((f) => f.action === 'publish' && f.message === message, PAGE_WAIT_MS), { topic: 'booked', message })
  await page.getByText(/delivered to 2 subscribers/).waitFor()
  await rowWith(page, '2501')
  await page.getByRole('table', { name: /Topics/ }).getByRole('row').filter({ hasText: 'booked' }).waitFor()
})

t.test('disconnected: a banner says live updates are paused, "Reconnect now" reconnects, and no booking is lost', async (t) => {
  const { page } = await openBoard(t, url)
  await topicShown(page, 'booked')
  t.ok(await banner(page).isHidden(), 'no banner while live')
  // the page's timers stand still from here: only the button can end the wait
  await page.clock.install()
  await page.clock.pauseAt(Date.now() + 60_000)
  cutSockets(app)
  await banner(page).getByText(/^Live updates paused, reconnecting in \d+ s$/).waitFor()
  await status(page).filter({ hasText: 'Paused' }).waitFor()
  const missed = ['1673254205360:2601:33101:en00060', '1673254205361:2602:33102:en00061']
  for (const booking of missed) await publishText('booked', booking)
  t.equal(await subscriberCount('booked'), 0, 'published while nobody was subscribed')
  await page.getByRole('button', { name: 'Reconnect now' }).click()
  await status(page).filter({ hasText: 'Live' }).waitFor()
  await rowWith(page, '2602')
  t.same((await rows(page).locator('td.visitor').allTextContents()).slice(0, 2), ['2602', '2601'], 'the missed bookings, replayed in order')
  t.equal(await page.getByRole('cell', { name: '2601', exact: true }).count(), 1, 'once')
  await banner(page).waitFor({ state: 'hidden' })
})

t.test('after a restart that lost the missed bookings: "Some bookings may be missing", the last ones reloaded', async (t) => {
  const small = await startApp(t, { HISTORY_SIZE: 2 })
  const { page } = await openBoard(t, small.url)
  await topicShown(page, 'booked')
  await waitForSubscribers('booked', 1, small.url)
  await page.clock.install()
  await page.clock.pauseAt(Date.now() + 60_000)
  cutSockets(small.app)
  await status(page).filter({ hasText: 'Paused' }).waitFor()
  for (const n of [1, 2, 3, 4, 5]) await publishText('booked', `167325420537${n}:270${n}:3320${n}:en0007${n}`, small.url)
  await page.getByRole('button', { name: 'Reconnect now' }).click()
  await banner(page).getByText('Some bookings may be missing: the last 2 of “booked” were reloaded.').waitFor()
  t.same(await rows(page).locator('td.visitor').allTextContents(), ['2705', '2704'], 'the two the history kept')
  t.equal(await page.getByText(/epoch/).count(), 0, 'no word of epochs')
})

t.test('a topic the server keeps refusing (its Redis was killed) is shown as failed, then live again', async (t) => {
  const redis = await RedisServer.start(t)
  const cluster = await startApp(t, { REDIS_URL: redis.url })
  await publishText('booked', '1673254205380:2801:33301:en00080', cluster.url)
  const { page } = await openBoard(t, cluster.url)
  await rowWith(page, '2801')
  await redis.kill()
  await waitForStatus(`${cluster.url}/ready`, 503)
  // the page must resume from its position, which needs the history kept in Redis
  cutSockets(cluster.app)
  await banner(page).getByText('Bookings for “booked” are not arriving: the server cannot reach its message store. Still trying.').waitFor()
  await topicShown(page, 'booked', 'failed')
  await page.screenshot({ path: join(SHOTS, 'board-failed-desktop.png') })

  await redis.restart()
  await waitForStatus(`${cluster.url}/ready`, 200)
  await page.getByRole('button', { name: 'Reconnect now' }).click()
  await topicShown(page, 'booked')
  await banner(page).getByText(/^Some bookings may be missing/).waitFor()
})

t.test('the layout: 20 bookings and more at 1280x900; on a phone the bookings come first; contrast and names', async (t) => {
  const busy = await startApp(t)
  for (let n = 10; n < 40; n++) await publish(busy.url, 'booked', { visitor: 3000 + n, ticket: 34000 + n, zone: `en000${n}`, time: 1673254205000 + n * 60_000 })
  await publishText('booked', '1673254207999:3099:34099:pg00099', busy.url)
  const { page } = await openBoard(t, busy.url)
  await rowWith(page, '3099')
  await page.getByRole('button', { name: 'Raw text of booked #31' }).click()
  const fullyVisible = await page.evaluate('[...document.querySelectorAll("#bookings tbody tr")].filter((tr) => tr.getBoundingClientRect().bottom <= innerHeight).length') as number
  t.ok(fullyVisible >= 20, `${fullyVisible} bookings in view at 1280x900`)
  await page.screenshot({ path: join(SHOTS, 'board-desktop.png') })

  await page.getByText('Tools: topics, publish a test booking').click()
  const controls = (await page.locator('body').ariaSnapshot()).split('\n').map((line) => /- (button|textbox|checkbox)\b(?: "([^"]*)")?/.exec(line)).filter((m) => m !== null)
  // the snapshot leaves out the rows' buttons: those are found by role, then named as the snapshot would
  const raw = page.getByRole('button', { name: /^Raw text of / })
  t.equal(await raw.count(), await rows(page).count(), 'a Raw button per booking')
  const rawNames = await raw.evaluateAll((buttons) => buttons.map((button) => `button ${button.getAttribute('aria-label') ?? ''}`))
  const names = [...controls.map((m) => `${m[1]} ${m[2] ?? ''}`), ...rawNames]
  t.ok(names.length > 30, `${names.length} controls`)
  t.same(names.filter((name) => name.endsWith(' ')), [], 'every control has a name')
  t.same(names.filter((name, i) => names.indexOf(name) !== i), [], 'each a name of its own')
  await page.getByText('Tools: topics, publish a test booking').click()

  const phone = await openBoard(t, busy.url, '/', { width: 390, height: 844 })
  await rowWith(phone.page, '3099')
  const boardBox = await phone.page.getByRole('table', { name: 'Bookings' }).boundingBox()
  const toolsBox = await phone.page.getByText('Tools: topics, publish a test booking').boundingBox()
  t.ok(boardBox !== null && toolsBox !== null && boardBox.y < toolsBox.y, 'the bookings above the tools')
  t.ok(boardBox !== null && boardBox.y < 200, `the bookings start near the top (${boardBox?.y} px)`)
  const phoneWidth = await phone.page.evaluate('document.documentElement.scrollWidth')
  t.equal(phoneWidth, 390, 'no sideways scrolling')
  await phone.page.screenshot({ path: join(SHOTS, 'board-phone.png') })
  await phone.page.getByText('Tools: topics, publish a test booking').click()
  await phone.page.screenshot({ path: join(SHOTS, 'board-phone-tools.png'), fullPage: true })

  // contrast of every text on show, and of the fields' borders, against what is behind them
  const worst = await page.evaluate(`(() => {
    const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return { rgb: m.slice(0, 3), a: m[3] ?? 1 } }
    const lum = (rgb) => { const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }); return 0.2126 * r + 0.7152 * g + 0.0722 * b }
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05) }
    const behind = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0.5) return c.rgb } return [255, 255, 255] }
    const texts = [...document.querySelectorAll('body *')].filter((el) => el.checkVisibility() && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '') && !el.closest('.sr-only'))
    const text = texts.map((el) => ({ what: el.tagName + '.' + el.className + ' ' + el.textContent.trim().slice(0, 20), ratio: ratio(parse(getComputedStyle(el).color).rgb, behind(el)) })).sort((a, b) => a.ratio - b.ratio)
    document.querySelector('details.tools').open = true
    const fields = [...document.querySelectorAll('input:not([type=checkbox]), textarea')].map((el) => ratio(parse(getComputedStyle(el).borderTopColor).rgb, behind(el.parentElement)))
    return { text: text[0], texts: text.length, field: Math.min(...fields) }
  })()`) as { text: { what: string, ratio: number }, texts: number, field: number }
  t.ok(worst.text.ratio >= 4.5, `the lowest text contrast of ${worst.texts}: ${worst.text.ratio.toFixed(2)}:1 (${worst.text.what})`)
  t.ok(worst.field >= 3, `field borders at ${worst.field.toFixed(2)}:1`)
  for (const state of ['connecting', 'connected', 'reconnecting', 'closed']) {
    const ratio = await page.evaluate(`(() => { const s = document.getElementById('status'); s.dataset.state = ${JSON.stringify(state)}; return getComputedStyle(s).color + '|' + getComputedStyle(s).backgroundColor })()`) as string
    const [fg, bg] = ratio.split('|').map((c) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number))
    const lum = (rgb: number[]): number => { const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }); return 0.2126 * r + 0.7152 * g + 0.0722 * b }
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a)
    t.ok((hi + 0.05) / (lo + 0.05) >= 4.5, `the status pill when ${state}: ${((hi + 0.05) / (lo + 0.05)).toFixed(2)}:1`)
  }
  t.equal(await page.locator('#banner').getAttribute('aria-label'), 'Connection', 'the banner\'s name is not its message')
  t.equal(await page.getByRole('region', { name: 'Bookings', exact: true }).count(), 1, 'the board\'s name is not its count')
})
