/** WORKERS=N: the real server forks N processes sharing one port, each an instance sharing topics through Redis. */
import t from 'tap'
import { eventually, pollJson, TestClient } from '../helper.js'
import { InstanceProcess } from '../instance-process.js'
import { RedisServer } from '../redis-server.js'

t.setTimeout(240_000)

t.test('WORKERS=2: both workers answer on the one port as distinct instances, and a publish through one reaches subscribers on the other', async (t) => {
  const redis = await RedisServer.start(t)
  const server = await InstanceProcess.start(t, { REDIS_URL: redis.url, WORKERS: 2, INSTANCE_ID: 'host', INSTANCE_TTL_MS: 600 })

  // the primary hands connections to the workers in turn: asked often enough, each answers as `self`
  const answered = new Set<string>()
  let last: unknown
  await eventually(async () => {
    // a new connection each time: the primary deals out connections, not requests, and fetch keeps them alive
    // a connection the primary handed to a worker still starting can be reset (seen at a load of 21): not an answer yet
    const res = await fetch(`${server.url}/cluster`, { headers: { connection: 'close' } }).catch((err: Error) => err)
    if (res instanceof Error) return (last = res.message) === undefined
    const view = await res.json() as any
    last = { status: res.status, view }
    // a worker still connecting to Redis answers 503: not an answer yet
    if (!res.ok) return false
    answered.add(view.instances.find((i: any) => i.self === true)?.id)
    return answered.size === 2 && view.instances.length === 2
  }, 'both workers answer /cluster', 60_000).catch((err: Error) => {
    throw new Error(`${err.message}; answered by ${JSON.stringify([...answered])}, last ${JSON.stringify(last)}; the server said:\n${server.output}`)
  })
  t.same([...answered].sort(), ['host-1', 'host-2'], 'two instances, named after INSTANCE_ID')
  // each worker's start-up check runs on a port of its own (a shared one crossed the workers' connections)
  t.notMatch(server.output, 'the check of the Node internals for handle writes failed', 'both workers write through their handles')

  const sockets: TestClient[] = []
  for (let i = 0; i < 4; i++) {
    const client = await TestClient.connect(t, server.wsUrl)
    await client.request({ action: 'subscribe', topic: 'booked' })
    sockets.push(client)
  }
  // round robin gives each worker two of the four sockets; /cluster shows where they landed
  await eventually(async () => {
    const connections = (await pollJson(`${server.url}/cluster`))?.instances.map((i: any) => i.connections) ?? []
    return connections.length === 2 && connections.every((c: number) => c > 0) && connections[0] + connections[1] === 4
  }, 'each worker holds some of the sockets')

  for (const [i, publisher] of sockets.entries()) {
    t.match(await publisher.request({ action: 'publish', topic: 'booked', message: `from ${i}` }), { subscribers: 4 }, `socket ${i}'s publish counts all four subscribers`)
  }
  for (const client of sockets) await client.waitFor((f) => f.message === 'from 3')
  for (const [i, client] of sockets.entries()) {
    t.same(client.deliveries.map((f) => f.message), ['from 0', 'from 1', 'from 2', 'from 3'], `socket ${i} got every publish, from both workers, in order`)
  }

  server.kill('SIGTERM')
  t.match(await server.exited, { code: 0 }, 'SIGTERM stops the workers and the primary cleanly')
})

t.test('WORKERS=2 without Redis refuses to start, saying why', async (t) => {
  await t.rejects(InstanceProcess.start(t, { WORKERS: 2 }), /exited \(\{"code":1,"signal":null\}\)[^]*WORKERS=2 needs REDIS_URL or REDIS_CLUSTER_NODES/)
})

t.test('a worker that cannot reach Redis stops the whole server with exit code 1, not a restart loop', async (t) => {
  const redis = await RedisServer.reserve(t)
  await t.rejects(InstanceProcess.start(t, { REDIS_URL: redis.url, WORKERS: 2, REDIS_CONNECT_TIMEOUT_MS: 300 }),
    /exited \(\{"code":1,"signal":null\}\)[^]*a worker stopped before it listened/)
})
