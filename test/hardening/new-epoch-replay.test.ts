/** An instance whose link to Redis comes back after Redis restarted empty replays to its raw subscribers the new epoch's messages that other instances accepted meanwhile. */
import { connect, createServer, type Socket } from 'node:net'
import t from 'tap'
import { eventually, publish, startApp, TestClient, waitForStatus, type Teardown } from '../helper.js'
import { RedisServer } from '../redis-server.js'

/** A TCP relay in front of Redis whose connections can be cut and kept out: one instance's link down while another's is up. */
class RedisRelay {
  private readonly sockets = new Set<Socket>()
  private open = true

  private constructor (readonly url: string) {}

  static async start (t: Teardown, redis: RedisServer): Promise<RedisRelay> {
    const server = createServer((client) => {
      if (!relay.open) return client.destroy()
      const upstream = connect(redis.port, '127.0.0.1')
      for (const [from, to] of [[client, upstream], [upstream, client]]) {
        relay.sockets.add(from)
        from.pipe(to)
        from.on('error', () => to.destroy())
        from.on('close', () => { relay.sockets.delete(from); to.destroy() })
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const relay = new RedisRelay(`redis://127.0.0.1:${(server.address() as { port: number }).port}`)
    t.teardown(async () => {
      relay.cut()
      await new Promise((resolve) => server.close(resolve))
    })
    return relay
  }

  /** Cuts every relayed connection and refuses new ones until resume(). */
  cut (): void {
    this.open = false
    for (const socket of this.sockets) socket.destroy()
  }

  resume (): void { this.open = true }
}

t.test('Redis restarted empty while one instance was cut off: its raw subscribers get every message the other accepted, after a notice', async (t) => {
  const redis = await RedisServer.start(t)
  const relay = await RedisRelay.start(t, redis)
  const env = { INSTANCE_TTL_MS: 1500, LOG_LEVEL: 'silent' }
  const a = await startApp(t, { ...env, REDIS_URL: relay.url, INSTANCE_ID: 'a' })
  const b = await startApp(t, { ...env, REDIS_URL: redis.url, INSTANCE_ID: 'b' })
  const raw = await TestClient.connect(t, a.wsUrl)
  await raw.request({ action: 'subscribe', topic: 'booked' }) // the original protocol: no since, no SDK
  await publish(b.url, 'booked', 'before')
  await raw.waitFor((f) => f.message === 'before')

  relay.cut()
  await redis.kill()
  await redis.restart()
  await waitForStatus(`${b.url}/ready`, 200)
  const accepted = [await publish(b.url, 'booked', 'new-1'), await publish(b.url, 'booked', 'new-2')]
  t.same(accepted.map((reply) => reply.offset), [1, 2], 'the new epoch starts at 1')

  relay.resume()
  const notice = await raw.waitFor((f) => f.action === 'resumed', 10_000)
  t.match(notice, { topic: 'booked', recovered: false, offset: 0, epoch: accepted[0].epoch }, 'told that what came before the new epoch may be lost, and that it is taken from its start')
  await eventually(async () => (await fetch(`${a.url}/ready`)).status === 200, 'a ready again')
  await publish(b.url, 'booked', 'after')
  await raw.waitFor((f) => f.message === 'after')
  t.same(raw.published.map((f) => [f.message, f.offset]), [['before', 1], ['new-1', 1], ['new-2', 2], ['after', 3]], 'every accepted message once, in order')
  t.ok(raw.frames.indexOf(notice) < raw.frames.findIndex((f) => f.message === 'new-1'), 'the notice comes before the new epoch')
})
