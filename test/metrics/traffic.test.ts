/** The traffic counters of /metrics after real traffic, scraped and parsed as Prometheus would, in both modes. */
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format'
import { MODES, TestClient } from '../helper.js'
import { API_KEY, SECRET, hsToken } from '../access/tokens.js'

/** One scrape, parsed, with the body's length (the scrape's reply counts in the next one's HTTP bytes). */
async function scrape (url: string, headers: Record<string, string> = {}): Promise<{ families: MetricFamily[], bytes: number }> {
  const response = await fetch(`${url}/metrics`, { headers })
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`)
  const text = await response.text()
  return { families: parsePrometheusTextFormat(text), bytes: Buffer.byteLength(text) }
}

/** The value of the sample of `name` whose labels include `labels`; undefined when there is none. */
function value (families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = families.find((f) => f.name === name)?.metrics
    .find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return sample?.value === undefined ? undefined : Number(sample.value)
}

/** Bytes of the WebSocket frames a client received, headers included (server frames are unmasked). */
class ReceivedBytes {
  total = 0
  watch (client: TestClient): TestClient {
    client.socket.on('message', (data: Buffer) => { this.total += data.length + (data.length < 126 ? 2 : data.length < 65536 ? 4 : 10) })
    return client
  }
}

for (const mode of MODES) {
  t.test(`${mode.name}: publishes, deliveries, bytes, errors, publish-to-write and queues as a user would count them`, async (t) => {
    const redis = mode.name === 'redis'
    const { app, url, wsUrl } = await mode.start(t, redis ? { REDIS_BRIDGE: 'legacy:booked=booked' } : {})
    const received = new ReceivedBytes()
    const connect = async (): Promise<TestClient> => received.watch(await TestClient.connect(t, wsUrl))
    const before = await scrape(url)
    for (const transport of ['ws', 'http', 'bridge']) t.equal(value(before.families, 'proxyer_publishes_total', { transport }), 0, `publishes{${transport}} start at 0`)
    t.equal(value(before.families, 'proxyer_deliveries_total', { transport: 'ws' }), 0)

    const [a, b, patterned, publisher] = [await connect(), await connect(), await connect(), await connect()]
    await a.request({ action: 'subscribe', topic: 'booked' })
    await b.request({ action: 'subscribe', topic: 'booked' })
    await patterned.request({ action: 'subscribe', topic: 'zoo.*' })
    for (const n of [1, 2, 3]) t.match(await publisher.request({ action: 'publish', topic: 'booked', message: n }), { action: 'published' })
    const posted = await fetch(`${url}/publish/booked`, { method: 'POST', body: 'four', headers: { 'content-type': 'text/plain' } })
    const postedBytes = Buffer.byteLength(await posted.text())
    // a file, sent as a stream
    const sdkBytes = (await (await fetch(`${url}/client.js`)).arrayBuffer()).byteLength
    await publisher.request({ action: 'publish', topic: 'zoo.north', message: 'zoo' })
    let bridged = 0
    if (redis) {
      // a service PUBLISHing to a bridged channel of its own
      const service = new Redis(app.config.REDIS_URL as string)
      t.teardown(() => service.disconnect())
      await service.publish('legacy:booked', 'bridged')
      bridged = 1
    }
    const last = bridged === 1 ? 'bridged' : 'four'
    await a.waitFor((f) => f.message === last)
    await b.waitFor((f) => f.message === last)
    await patterned.waitFor((f) => f.message === 'zoo')
    // a replay: frames handed to a subscriber, but no publish, and not timed as one
    const first = a.published[0]
    const catchingUp = await connect()
    t.match(await catchingUp.request({ action: 'subscribe', topic: 'booked', since: { offset: first.offset, epoch: first.epoch } }), { recovered: true })
    t.equal(catchingUp.published.length, 3 + bridged, 'the messages after the first replayed')
    t.match(await publisher.request({ action: 'subscribe', topic: 'zoo tickets' }), { code: 'invalid_topic' })
    t.match(await publisher.request({ action: 'subscribe', topic: 'zoo.>', since: { offset: 1, epoch: 'x' } }), { code: 'invalid_request' })

    // work queues: two jobs waiting, one of them taken by a worker
    const held = await publisher.request({ action: 'enqueue', queue: 'tickets', message: 1 })
    const behind = await publisher.request({ action: 'enqueue', queue: 'tickets', message: 2 })
    const worker = await connect()
    await worker.request({ action: 'consume', queue: 'tickets', prefetch: 1 })
    await worker.waitFor((f) => f.action === 'job')
    // the places that changed reach the producer on their own (every POSITION_INTERVAL_MS): counted once they have come
    await publisher.waitFor((f) => f.action === 'position' && f.job === held.job && f.position === 0)
    await publisher.waitFor((f) => f.action === 'position' && f.job === behind.job && f.position === 1)
    for (const client of [a, b, patterned, publisher, catchingUp, worker]) await client.sync()

    const { families } = await scrape(url)
    t.equal(value(families, 'proxyer_publishes_total', { transport: 'ws' }), 4, '4 socket publishes')
    t.equal(value(families, 'proxyer_publishes_total', { transport: 'http' }), 1, '1 HTTP publish')
    t.equal(value(families, 'proxyer_publishes_total', { transport: 'bridge' }), bridged, 'the bridged message in Redis mode')
    // 4 (+1 bridged) messages to 2 subscribers, 1 to the pattern, 3 (+1) replayed
    t.equal(value(families, 'proxyer_deliveries_total', { transport: 'ws' }), (4 + bridged) * 2 + 1 + 3 + bridged, 'every message frame handed to a subscriber')
    t.equal(value(families, 'proxyer_sent_bytes_total', { transport: 'ws' }), received.total, 'the bytes the clients received, frame headers included')
    t.equal(value(families, 'proxyer_sent_bytes_total', { transport: 'http' }), before.bytes + postedBytes + sdkBytes, 'the bodies of the replies before this scrape')
    t.equal(value(families, 'proxyer_errors_total', { code: 'invalid_topic', transport: 'ws' }), 1, 'a socket error by its code')
    t.equal(value(families, 'proxyer_errors_total', { code: 'invalid_request', transport: 'ws' }), 1)
    const latency = families.find((f) => f.name === 'proxyer_publish_to_write_seconds')
    t.equal(latency?.type, 'HISTOGRAM')
    t.equal(Number(latency?.metrics[0].count), 5 + bridged, 'each live message timed once, however many subscribers; replays not')
    t.ok(Number(latency?.metrics[0].sum) > 0, 'the time from accepting a publish to writing it')
    t.equal(Number(latency?.metrics[0].buckets?.['+Inf']), 5 + bridged)
    t.equal(value(families, 'proxyer_queues'), 1)
    t.equal(value(families, 'proxyer_queue_jobs_waiting'), 1, 'one job waits')
    t.equal(value(families, 'proxyer_queue_jobs_active'), 1, 'one is held by the worker')
    t.ok(value(families, 'proxyer_queue_oldest_waiting_seconds')! > 0, 'the waiting job\'s age')
    t.equal(value(families, 'proxyer_slow_consumer_cuts_total'), 0)
    t.equal(value(families, 'proxyer_rate_limited_total', { transport: 'ws' }), 0)
    const labels = families.flatMap((family) => family.metrics.flatMap((sample) => Object.values(sample.labels ?? {})))
    t.notOk(labels.some((label) => /booked|zoo|tickets/.test(label)), 'no label names a topic or a queue')
  })

  t.test(`${mode.name}: rate-limited requests on both transports and a slow consumer's cut`, async (t) => {
    const { url, wsUrl } = await mode.start(t, { API_KEYS: API_KEY, JWT_SECRET: SECRET, RATE_LIMIT_PER_SECOND: 2, RATE_LIMIT_BURST: 2, MAX_QUEUED_BYTES: 1024 })
    const keyed = { authorization: `Bearer ${API_KEY}` }
    const token = hsToken({ sub: 'visitor', subscribe: ['>'], publish: ['>'] })
    // the upgrades first: they are HTTP requests, and the browsers' are rate limited like the others
    const forger = await TestClient.connect(t, `${wsUrl}?token=${token}x`)
    t.match(await forger.closed(), { code: 4001 }, 'a bad token is refused after the upgrade')
    const browser = await TestClient.connect(t, `${wsUrl}?token=${token}`)
    const reader = await TestClient.connect(t, wsUrl, { headers: keyed })
    for (let n = 0; n < 5; n++) browser.send({ action: 'ping', id: n })
    await browser.waitFor((f) => f.id === 4)
    const limitedWs = browser.frames.filter((f) => f.code === 'rate_limited').length
    t.ok(limitedWs >= 2, `past the burst of 2, pings are refused (${limitedWs})`)
    const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await fetch(`${url}/topics`)).status))
    const limitedHttp = statuses.filter((s) => s === 429).length
    t.ok(limitedHttp >= 1, `past 2 a second, anonymous HTTP requests get 429 (${limitedHttp})`)

    await cutSlowConsumer(t, reader, url, keyed)

    // an API key is never rate limited, so the scrape itself is not
    const { families } = await scrape(url, keyed)
    t.equal(value(families, 'proxyer_rate_limited_total', { transport: 'ws' }), limitedWs, 'each refused socket request')
    t.equal(value(families, 'proxyer_errors_total', { code: 'rate_limited', transport: 'ws' }), limitedWs, 'among the socket errors too')
    t.equal(value(families, 'proxyer_rate_limited_total', { transport: 'http' }), limitedHttp, 'each 429')
    t.equal(value(families, 'proxyer_slow_consumer_cuts_total'), 1, 'the reader that stopped was cut once')
    t.equal(value(families, 'proxyer_errors_total', { code: 'unauthorized', transport: 'ws' }), 1, 'the refused upgrade\'s error frame')
  })
}

/** A subscriber stops reading while a keyed backend publishes 32 KB messages: past MAX_QUEUED_BYTES it is closed with 4008. */
async function cutSlowConsumer (t: Test, reader: TestClient, url: string, keyed: Record<string, string>): Promise<void> {
  await reader.request({ action: 'subscribe', topic: 'board' })
  const closed = reader.closed()
  reader.stopReading()
  const body = JSON.stringify({ message: 'x'.repeat(32 * 1024) })
  const cut = async (): Promise<boolean> => (await (await fetch(`${url}/topics/board?scope=local`, { headers: keyed })).json() as { slowConsumers: number }).slowConsumers > 0
  // the kernel's socket buffers take a few MB first; then the server's own queue passes the bound
  for (let n = 0; n < 2000 && !(n % 10 === 0 && await cut()); n++) {
    const response = await fetch(`${url}/publish/board`, { method: 'POST', body, headers: { ...keyed, 'content-type': 'application/json' } })
    await response.arrayBuffer()
  }
  reader.resumeReading()
  t.match(await closed, { code: 4008 }, 'the reader that stopped is closed as a slow consumer')
}
