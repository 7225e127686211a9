/** How an instance process ends: gracefully on SIGTERM, and dropping out of the cluster after a SIGKILL. */
import t from 'tap'
import WebSocket from 'ws'
import { eventually, getJson, postText, TestClient } from '../helper.js'
import { InstanceProcess, type InstanceExit } from '../instance-process.js'
import { RedisServer } from '../redis-server.js'

// five instance processes (when each was compiled by tsx as it started, past 120 s under a load of 20 on 2 cores)
t.setTimeout(300_000)

const SHUTDOWN_TIMEOUT_MS = 3000
const INSTANCE_TTL_MS = 1500

/** The status of GET /ready, or 'refused' when nothing answers. */
async function readiness (url: string): Promise<number | 'refused'> {
  return fetch(`${url}/ready`).then(async (res) => { await res.arrayBuffer(); return res.status }, () => 'refused' as const)
}

/** Resolves with how the process ended and how long after `since` it did, or rejects past the shutdown budget and a margin. */
async function exitOf (instance: InstanceProcess, since: number, budgetMs = SHUTDOWN_TIMEOUT_MS): Promise<InstanceExit & { afterMs: number }> {
  let timer: NodeJS.Timeout | undefined
  const overdue = new Promise<never>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${2 * budgetMs} ms after the signal:\n${instance.output}`)), 2 * budgetMs)
  })
  try {
    const exit = await Promise.race([instance.exited, overdue])
    return { ...exit, afterMs: Date.now() - since }
  } finally {
    clearTimeout(timer)
  }
}

for (const mode of ['embedded', 'redis'] as const) {
  t.test(`SIGTERM (${mode}): clients get 1001, one that never answers does not hold the exit, /ready stops answering 200, exit 0 in time`, async (t) => {
    const redis = mode === 'redis' ? await RedisServer.start(t) : undefined
    const instance = await InstanceProcess.start(t, { SHUTDOWN_TIMEOUT_MS, INSTANCE_ID: 'leaving', ...(redis !== undefined && { REDIS_URL: redis.url }) })
    const clients = [await TestClient.connect(t, instance.wsUrl), await TestClient.connect(t, instance.wsUrl), await TestClient.connect(t, instance.wsUrl)]
    const mute = await TestClient.connect(t, instance.wsUrl)
    for (const client of [...clients, mute]) await client.request({ action: 'subscribe', topic: 'booked' })
    t.equal(await readiness(instance.url), 200, 'ready before the signal')
    // it reads nothing more, so it never sees the close frame nor answers it: the server waits for it a while
    mute.stopReading()
    const closes = clients.map(async (client) => client.closed())

    const signalledAt = Date.now()
    instance.kill('SIGTERM')
    for (const close of await Promise.all(closes)) t.same(close, { code: 1001, reason: 'server shutting down' }, 'the client is closed with 1001')
    // the server is waiting for the mute client now (or done waiting): either way it serves nothing new
    t.not(await readiness(instance.url), 200, '/ready does not answer 200 once the shutdown has begun')

    const exit = await exitOf(instance, signalledAt)
    t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'exit code 0', { output: instance.output })
    t.ok(exit.afterMs < SHUTDOWN_TIMEOUT_MS, `exited ${exit.afterMs} ms after the signal, within SHUTDOWN_TIMEOUT_MS`)
    t.equal(await readiness(instance.url), 'refused', 'nothing listens afterwards')
    if (redis !== undefined) {
      t.same(await redis.client(t).zrange('proxyer:{cluster}:instances', '0', '-1'), [], 'the instance left the cluster figures on its way out')
    }
  })
}

t.test('SIGKILL: the survivor drops the killed instance and its subscribers within 3 times INSTANCE_TTL_MS', async (t) => {
  const redis = await RedisServer.start(t)
  const shared = { REDIS_URL: redis.url, INSTANCE_TTL_MS }
  const [survivor, victim] = await Promise.all([
    InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'a' }),
    InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'b' })
  ])
  const onSurvivor = await TestClient.connect(t, survivor.wsUrl)
  const onVictim = await TestClient.connect(t, victim.wsUrl)
  for (const client of [onSurvivor, onVictim]) await client.request({ action: 'subscribe', topic: 'booked' })

  const instanceIds = async (): Promise<string[]> => (await getJson(`${survivor.url}/cluster`)).instances.map((i: any) => i.id).sort()
  await eventually(async () => (await instanceIds()).length === 2, 'the survivor sees both instances')
  t.match((await getJson(`${survivor.url}/cluster`)).instances.sort((x: any, y: any) => x.id.localeCompare(y.id)), [
    { id: 'a', self: true, connections: 1 },
    { id: 'b', self: false, connections: 1 }
  ], 'the survivor lists both instances with their connections')
  t.match(await getJson(`${survivor.url}/topics/booked`), { topic: 'booked', subscribers: 2 }, 'and counts both subscribers')

  const victimClosed = onVictim.closed()
  const killedAt = Date.now()
  victim.kill('SIGKILL')
  t.same(await victim.exited, { code: null, signal: 'SIGKILL' }, 'the victim is gone')
  t.equal((await victimClosed).code, 1006, 'the victim\'s client sees the connection drop without a close frame')

  const subscribers = async (): Promise<number> => (await getJson(`${survivor.url}/topics/booked`)).subscribers
  await eventually(async () => (await instanceIds()).length === 1 && (await subscribers()) === 1,
    'the killed instance leaves the figures', killedAt + 3 * INSTANCE_TTL_MS - Date.now())
  t.comment(`the killed instance left the figures ${Date.now() - killedAt} ms after SIGKILL`)
  t.match((await getJson(`${survivor.url}/cluster`)).instances, [{ id: 'a', self: true, connections: 1 }], 'the survivor lists only itself')
  t.match(await getJson(`${survivor.url}/topics/booked`), { topic: 'booked', subscribers: 1 }, 'and one subscriber')

  // a publish reads the topic's subscriber sum; the survivor's next heartbeat takes the killed instance's share out of it
  let counted = 0
  await eventually(async () => {
    counted = ((await (await postText(survivor.url, 'booked', 'after the crash')).json()) as { subscribers: number }).subscribers
    return counted === 1
  }, 'a publish counts only the live subscriber', killedAt + 3 * INSTANCE_TTL_MS - Date.now())
  t.comment(`a publish counted only the live subscriber ${Date.now() - killedAt} ms after SIGKILL`)
  t.equal(counted, 1, 'a publish counts only the live subscriber')
  await onSurvivor.waitFor((f) => f.message === 'after the crash')
})

t.test('SIGTERM: a WebSocket upgrade arriving while the server drains is refused and does not hold the exit', async (t) => {
  // a refused upgrade that kept its socket would hold server.close() until close-with-grace exits 1
  const budgetMs = 2000
  const instance = await InstanceProcess.start(t, { SHUTDOWN_TIMEOUT_MS: budgetMs })
  const mute = await TestClient.connect(t, instance.wsUrl)
  await mute.request({ action: 'subscribe', topic: 'booked' })
  // holds the server in its drain, waiting for a close handshake that never comes, for half SHUTDOWN_TIMEOUT_MS
  mute.stopReading()
  const watcher = await TestClient.connect(t, instance.wsUrl)
  const watcherClosed = watcher.closed()

  const signalledAt = Date.now()
  instance.kill('SIGTERM')
  t.equal((await watcherClosed).code, 1001, 'the drain has begun')
  const late = new WebSocket(instance.wsUrl)
  t.teardown(() => late.terminate())
  const refusal = await new Promise<string>((resolve) => {
    late.once('open', () => resolve('opened'))
    late.once('error', (err) => resolve(err.message))
  })
  t.match(refusal, /503|ECONNREFUSED/, 'the upgrade is refused')

  const exit = await exitOf(instance, signalledAt, budgetMs)
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'exit code 0')
  t.ok(exit.afterMs < budgetMs, `exited ${exit.afterMs} ms after the signal, within SHUTDOWN_TIMEOUT_MS`)
})
