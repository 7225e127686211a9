/** GET /metrics: a real scrape parsed as Prometheus parses it, figures that move as a user acts, in both modes. */
import t from 'tap'
import { Redis } from 'ioredis'
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format'
import { eventually, MODES, startApp, TestClient } from '../helper.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

const BOOKING = '1673254205340:2199:32925:en00030'

/** One scrape, parsed by a Prometheus text-format parser; throws if the body is not that format. */
async function scrape (url: string): Promise<MetricFamily[]> {
  const response = await fetch(`${url}/metrics`)
  if (!(response.headers.get('content-type') ?? '').startsWith('text/plain; version=0.0.4')) throw new Error('not the Prometheus text format')
  return parsePrometheusTextFormat(await response.text())
}

/** The value of the sample of `name` whose labels include `labels`; undefined when there is none. */
function value (families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = families.find((f) => f.name === name)?.metrics
    .find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return sample?.value === undefined ? undefined : Number(sample.value)
}

for (const mode of MODES) {
  t.test(`${mode.name}: figures move as a user acts`, async (t) => {
    const { url, wsUrl, redis } = await mode.start(t)
    const before = await scrape(url)
    t.equal(value(before, 'proxyer_connections'), 0)
    t.equal(value(before, 'proxyer_publishes_total', { transport: 'http' }), undefined, 'no publish counted yet')

    const client = await TestClient.connect(t, wsUrl)
    await client.request({ action: 'subscribe', topic: 'booked' })
    const posted = await fetch(`${url}/publish/booked`, { method: 'POST', body: BOOKING, headers: { 'content-type': 'text/plain' } })
    t.equal(posted.status, 200)
    await client.waitFor((f) => f.message === BOOKING)
    t.equal((await fetch(`${url}/publish/zoo%20tickets`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status, 400)
    t.equal((await fetch(`${url}/topics/nobody-here`)).status, 404)
    t.equal((await fetch(`${url}/no-such-page`)).status, 404)

    const after = await scrape(url)
    t.equal(value(after, 'proxyer_connections'), 1, 'the open socket shows')
    t.equal(value(after, 'proxyer_subscriptions'), 1)
    t.equal(value(after, 'proxyer_topics'), 1)
    t.equal(value(after, 'proxyer_publishes_total', { transport: 'http' }), 1, 'the HTTP publish is counted by its transport')
    t.equal(value(after, 'proxyer_errors_total', { code: 'FST_ERR_VALIDATION', transport: 'http' }), 1, 'the invalid topic, by its code')
    t.equal(value(after, 'proxyer_errors_total', { code: 'PROXYER_UNKNOWN_TOPIC', transport: 'http' }), 1)
    t.equal(value(after, 'proxyer_errors_total', { code: 'HTTP_404', transport: 'http' }), 1, 'a body without a code counts by status')
    t.ok(value(after, 'proxyer_nodejs_eventloop_lag_seconds')! >= 0, 'event-loop lag from the default metrics')
    t.ok(value(after, 'proxyer_process_resident_memory_bytes')! > 0, 'memory from the default metrics')
    t.ok(value(after, 'proxyer_process_cpu_user_seconds_total')! > 0, 'CPU from the default metrics')
    for (const family of after) {
      t.ok(family.name.startsWith('proxyer_'), `${family.name} is prefixed`)
      for (const sample of family.metrics) t.notOk(Object.values(sample.labels ?? {}).includes('booked'), `${family.name} has no per-topic label`)
    }

    client.socket.close()
    await eventually(async () => value(await scrape(url), 'proxyer_connections') === 0, 'the closed socket leaves the gauge')

    if (redis === undefined) {
      t.equal(after.find((f) => f.name === 'proxyer_redis_connected'), undefined, 'no Redis gauge without Redis')
      return
    }
    t.equal(value(after, 'proxyer_redis_connected'), 1)
    // another service's client in this process, to another address: its commands are not this instance's
    const other = new Redis(redis.port, 'localhost')
    t.teardown(() => other.disconnect())
    await other.echo('not ours')
    // parse-prometheus-text-format folds a labelled histogram into one unlabelled sample, so its count lines are read from the text
    const text = await (await fetch(`${url}/metrics`)).text()
    const scriptRuns = [...text.matchAll(/^proxyer_redis_command_duration_seconds_count\{command="(?:eval|evalsha)"\} (\d+)$/gm)]
    // ioredis runs a script with EVAL the first time on a connection, then EVALSHA
    t.ok(scriptRuns.reduce((sum, [, count]) => sum + Number(count), 0) >= 2, 'the publish and history scripts are timed')
    t.notMatch(text, /command="echo"/, 'a command to another Redis address is left out')
    await redis.kill()
    await eventually(async () => value(await scrape(url), 'proxyer_redis_connected') === 0, 'the gauge shows Redis down')
  })
}

t.test('METRICS=false: no /metrics', async (t) => {
  const { url } = await startApp(t, { METRICS: 'false' as unknown as number })
  t.equal((await fetch(`${url}/metrics`)).status, 404)
  t.equal((await fetch(`${url}/publish/booked`, { method: 'POST', body: BOOKING, headers: { 'content-type': 'text/plain' } })).status, 200, 'publishing still works')
})

t.test('METRICS_ALLOW: only the listed addresses may scrape', async (t) => {
  const refused = await startApp(t, { METRICS_ALLOW: '10.0.0.0/8, ::2' })
  const response = await fetch(`${refused.url}/metrics`)
  t.equal(response.status, 403)
  t.match(await response.text(), /METRICS_ALLOW/)
  const allowed = await startApp(t, { METRICS_ALLOW: '10.0.0.0/8,127.0.0.1' })
  t.equal((await fetch(`${allowed.url}/metrics`)).status, 200)
  await t.rejects(startApp(t, { METRICS_ALLOW: '127.0.0.1,not-an-address' }), /METRICS_ALLOW entry "not-an-address"/)
})

t.test('with API keys configured, /metrics needs a key or an address in METRICS_ALLOW', async (t) => {
  const KEY = 'k'.repeat(32)
  const { url } = await startApp(t, { API_KEYS: KEY })
  t.equal((await fetch(`${url}/metrics`)).status, 403, 'anonymous: refused')
  t.equal((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).status, 200, 'with the key')
  const allowed = await startApp(t, { API_KEYS: KEY, METRICS_ALLOW: '127.0.0.1' })
  t.equal((await fetch(`${allowed.url}/metrics`)).status, 200, 'from an allowed address, without a key')
})
