/** History is served in pages of bounded bytes with the next offset, and a few requests at a time: past them 503 with Retry-After. */
import t from 'tap'
import { eventually, getJson, MODES, startApp, TestClient } from '../helper.js'
import { RedisServer } from '../redis-server.js'

const PAD = 'x'.repeat(60 * 1024)

const modes = MODES

for (const mode of modes) {
  t.test(`${mode.name}: 30 messages of 60 KB come in pages of at most 1 MB, each naming the next`, async (t) => {
    const { url, wsUrl } = await mode.start(t)
    const publisher = await TestClient.connect(t, wsUrl)
    for (let i = 1; i <= 30; i++) publisher.send({ action: 'publish', topic: 'booked', message: { i, PAD } })
    await publisher.sync()
    const offsets: number[] = []
    let since = 0
    let pages = 0
    for (;;) {
      const page = await getJson(`${url}/topics/booked/history?limit=1000&since=${since}`)
      pages++
      t.ok(page.messages.length * PAD.length <= 1024 * 1024, `page ${pages}: ${page.messages.length} messages, within 1 MB`)
      offsets.push(...page.messages.map((m: { offset: number }) => m.offset))
      if (page.next === undefined) break
      since = page.next
    }
    t.ok(pages > 1, `${pages} pages`)
    t.same(offsets, Array.from({ length: 30 }, (_, i) => i + 1), 'every message once, in order')
  })
}

t.test('history requests past 4 at once are refused at once with 503 and Retry-After', async (t) => {
  const redis = await RedisServer.start(t)
  t.teardown(() => redis.signal('SIGCONT'))
  const { app, url } = await startApp(t, { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: 1000 })
  await fetch(`${url}/publish/booked`, { method: 'POST', body: 'one', headers: { 'content-type': 'text/plain' } })
  // the route has taken its slot when it asks the broker: counted, so the test knows when all four hold one
  const { proxyer } = app
  const history = proxyer.history.bind(proxyer)
  let reads = 0
  proxyer.history = async (...args) => { reads++; return history(...args) }
  // a frozen Redis holds the reads in flight: four take the slots
  redis.signal('SIGSTOP')
  const held = Array.from({ length: 4 }, async () => fetch(`${url}/topics/booked/history`))
  await eventually(() => reads === 4, 'the four reads hold their slots')
  const refused = await fetch(`${url}/topics/booked/history`)
  t.equal(refused.status, 503)
  t.equal(refused.headers.get('retry-after'), '1')
  t.match(await refused.json(), { code: 'PROXYER_BUSY' })
  t.same((await Promise.all(held)).map((r) => r.status), [503, 503, 503, 503], 'the held ones end when Redis does not answer')
  redis.signal('SIGCONT')
  const { statusCode } = await fetch(`${url}/topics/booked/history`).then((r) => ({ statusCode: r.status }))
  t.equal(statusCode, 200, 'the slots were given back')
})
