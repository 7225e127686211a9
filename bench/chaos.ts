/**
 * npm run chaos: two instances behind Debian's nginx share a Redis that is killed, then frozen, then
 * the instances are restarted one after the other, all while a publisher posts through nginx and SDK
 * and raw WebSocket clients listen. Prints, per client kind, what was accepted, delivered, lost and
 * doubled, and writes the figures to bench/results/.
 */
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { ProxyerClient } from '../client/proxyer-client.js'
import { projectRoot } from '../src/project-root.js'
import { InstanceProcess } from '../test/instance-process.js'
import { startNginx } from '../test/nginx.js'
import { CloseCode } from '../src/contract/codes.js'
import { RedisServer } from '../test/redis-server.js'

const TOPIC = 'chaos'
const CLIENTS_PER_KIND = Number(process.env.CHAOS_CLIENTS ?? 10)
const PUBLISH_PER_SECOND = Number(process.env.CHAOS_RATE ?? 100)
/** tsx compiles the server at each start: slow on a busy machine (past 60 s once at a load of 25) */
const START = { startTimeoutMs: 120_000 }

/** Teardowns run in reverse when the run ends, as tap runs a test's. */
class Cleanup {
  private readonly steps: Array<() => unknown> = []
  teardown (fn: () => unknown): void { this.steps.push(fn) }
  async run (): Promise<void> {
    for (const step of this.steps.reverse()) await step()
  }
}

/** What one listening client saw: each message number with how often it came, and the windows it was not connected. */
class Listener {
  readonly received = new Map<number, number>()
  readonly gaps: Array<[number, number]> = []
  /** When the server said plainly that messages may be missing (recovered:false or a reset). */
  readonly toldAt: number[] = []
  private downSince: number | undefined = Date.now()

  get told (): number { return this.toldAt.length }
  get away (): boolean { return this.downSince !== undefined }
  tell (): void { this.toldAt.push(Date.now()) }

  receive (n: number): void { this.received.set(n, (this.received.get(n) ?? 0) + 1) }
  up (): void {
    if (this.downSince !== undefined) this.gaps.push([this.downSince, Date.now()])
    this.downSince = undefined
  }

  down (since = Date.now()): void { this.downSince ??= since }
  /** Whether the client was disconnected when message `at` was accepted (with a margin for messages in flight). */
  wasAway (at: number, marginMs = 500): boolean {
    return this.gaps.some(([from, to]) => at >= from - marginMs && at <= to + marginMs) ||
      (this.downSince !== undefined && at >= this.downSince - marginMs)
  }
}

/**
 * A raw WebSocket client: reconnects and subscribes again, without `since` as the original protocol
 * does (what is published while it is away is not its), or with `since` its last position (`resume`).
 * Cut by an instance's shutdown (1001), it is away from the SIGTERM (`shutdownAt`): the server's close
 * frame goes out then, and what is published after it is not sent; on a busy machine the close handshake
 * can end a second later, past the margin of wasAway().
 */
function rawListener (wsUrl: string, cleanup: Cleanup, shutdownAt: () => number, resume = false): Listener {
  const listener = new Listener()
  let stopped = false
  let position: { offset: number, epoch: string } | undefined
  const connect = (): void => {
    const socket = new WebSocket(wsUrl)
    const subscribe = (): void => {
      const since = resume && position !== undefined ? { since: position } : {}
      socket.send(JSON.stringify({ action: 'subscribe', topic: TOPIC, id: 's', ...since }))
    }
    socket.on('open', subscribe)
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString())
      // refused (an instance not ready yet): asked again, as a client that wants the topic would; it counts as away meanwhile
      if (frame.action === 'error' && frame.id === 's') setTimeout(() => { if (socket.readyState === WebSocket.OPEN) subscribe() }, 200)
      if (frame.action === 'subscribed') listener.up()
      if (frame.action === 'subscribed' && frame.recovered === false) listener.tell()
      if (frame.action === 'subscribed' || frame.action === 'publish') position = { offset: frame.offset, epoch: frame.epoch }
      if (frame.action === 'subscribed') return
      if (frame.action === 'publish') listener.receive(frame.message.n)
      else if (frame.recovered === false) listener.tell()
    })
    socket.on('error', () => {})
    socket.on('close', (code) => {
      listener.down(code === CloseCode.goingAway ? shutdownAt() : Date.now())
      if (!stopped) setTimeout(connect, 200)
    })
    cleanup.teardown(() => { stopped = true; socket.terminate() })
  }
  connect()
  return listener
}

function sdkListener (wsUrl: string, cleanup: Cleanup): Listener {
  const listener = new Listener()
  const client = new ProxyerClient(wsUrl, { WebSocket, reconnectDelayMs: 200, maxReconnectDelayMs: 2000 })
  client.on('message', (delivery) => listener.receive((delivery.message as { n: number }).n))
  client.on('state', (state) => { if (state === 'connected') listener.up(); else listener.down() })
  client.on('reset', () => { listener.tell() })
  client.on('error', () => {})
  client.subscribe(TOPIC).catch(() => {})
  cleanup.teardown(() => client.close())
  return listener
}

/** Posts message after message through nginx; a 503 is retried (nothing was done), any other failure is counted as unknown. */
class Publisher {
  readonly accepted = new Map<number, number>()
  refused = 0
  unknown = 0
  /** The unknown outcomes by what came back: a status, or `cut` for no reply. */
  readonly unknownBy: Record<string, number> = {}
  private stopped = false

  constructor (private readonly url: string) {}

  async run (): Promise<void> {
    for (let n = 1; !this.stopped; n++) {
      const started = Date.now()
      await this.post(n)
      await sleep(Math.max(0, 1000 / PUBLISH_PER_SECOND - (Date.now() - started)))
    }
  }

  stop (): void { this.stopped = true }

  private async post (n: number): Promise<void> {
    for (let attempt = 0; attempt < 50 && !this.stopped; attempt++) {
      const reply = await fetch(`${this.url}/publish/${TOPIC}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `chaos-${n}` },
        body: JSON.stringify({ message: { n } })
      }).catch(() => undefined)
      await reply?.arrayBuffer()
      if (reply?.status === 200) {
        this.accepted.set(n, Date.now())
        return
      }
      // 503: not done, retry; 504 or a cut connection: the outcome is unknown, and the idempotency key makes the retry safe
      if (reply?.status === 503) this.refused++
      else {
        this.unknown++
        const what = String(reply?.status ?? 'cut')
        this.unknownBy[what] = (this.unknownBy[what] ?? 0) + 1
      }
      await sleep(100)
    }
  }
}

interface KindFigures {
  clients: number
  accepted: number
  delivered: number
  lostWhileConnected: number
  missedWhileAway: number
  duplicated: number
  told: number
  /** Clients not connected when the run ended (still reconnecting): what they lack is not theirs yet. */
  stillAway: number
}

/**
 * Each message a client should have had and has not, with when it was accepted, when the client was told
 * of a gap and when it was away, to tell a cause from: for a raw client of the original protocol only those
 * lost while it was connected (what is published while it reconnects is not its), for the others any.
 */
interface Miss { client: number, n: number, acceptedAt: string, away: boolean, toldAt: string[], awayFrom: string[] }

const clock = (t: number): string => new Date(t).toISOString().slice(11, 23)

function misses (listeners: Listener[], accepted: Map<number, number>, resumes: boolean): Miss[] {
  const found: Miss[] = []
  for (const [client, listener] of listeners.entries()) {
    for (const [n, at] of accepted) {
      const away = listener.wasAway(at)
      if (listener.received.has(n) || (away && !resumes)) continue
      found.push({ client, n, acceptedAt: clock(at), away, toldAt: listener.toldAt.map(clock), awayFrom: listener.gaps.map(([from, to]) => `${clock(from)}-${clock(to)}`) })
    }
  }
  // the first ones say enough of a cause; a run gone badly wrong shows in the counts
  return found.slice(0, 50)
}

function figures (listeners: Listener[], accepted: Map<number, number>): KindFigures {
  const result: KindFigures = {
    clients: listeners.length, accepted: accepted.size, delivered: 0, lostWhileConnected: 0, missedWhileAway: 0, duplicated: 0, told: 0, stillAway: listeners.filter((l) => l.away).length
  }
  for (const listener of listeners) {
    result.told += listener.told
    for (const [n, at] of accepted) {
      const times = listener.received.get(n) ?? 0
      if (times > 0) result.delivered++
      if (times > 1) result.duplicated += times - 1
      if (times === 0) {
        if (listener.wasAway(at)) result.missedWhileAway++
        else result.lostWhileConnected++
      }
    }
  }
  return result
}

async function until (check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await sleep(100)
}

async function main (): Promise<void> {
  const cleanup = new Cleanup()
  const phases: string[] = []
  const log = (what: string): void => {
    phases.push(`${clock(Date.now())}  ${what}`)
    console.log(phases.at(-1))
  }
  try {
    const redis = await RedisServer.start(cleanup)
    const env = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
    const instances = [
      await InstanceProcess.start(cleanup, { ...env, INSTANCE_ID: 'a' }, START),
      await InstanceProcess.start(cleanup, { ...env, INSTANCE_ID: 'b' }, START)
    ]
    const front = await startNginx(cleanup, [instances[0].port, instances[1].port])
    const wsUrl = `${front.replace('http', 'ws')}/message`
    // when the last instance was stopped; a 1001 before any stop (none expected) counts from its own time
    let lastShutdown: number | undefined
    const shutdownAt = (): number => lastShutdown ?? Date.now()
    const kinds = {
      sdk: Array.from({ length: CLIENTS_PER_KIND }, () => sdkListener(wsUrl, cleanup)),
      raw: Array.from({ length: CLIENTS_PER_KIND }, () => rawListener(wsUrl, cleanup, shutdownAt)),
      rawSince: Array.from({ length: CLIENTS_PER_KIND }, () => rawListener(wsUrl, cleanup, shutdownAt, true))
    }
    const everyone = [...kinds.sdk, ...kinds.raw, ...kinds.rawSince]
    await until(() => everyone.every((l) => l.gaps.length > 0), 10_000)
    log(`${CLIENTS_PER_KIND} SDK, ${CLIENTS_PER_KIND} raw and ${CLIENTS_PER_KIND} raw-with-since clients subscribed through nginx; publishing ${PUBLISH_PER_SECOND}/s`)

    const publisher = new Publisher(front)
    const publishing = publisher.run()
    await sleep(3000)
    log('Redis killed'); await redis.kill(); await sleep(2000)
    log('Redis restarted, empty'); await redis.restart(); await sleep(5000)
    log('Redis frozen (SIGSTOP) for 7 s'); redis.signal('SIGSTOP'); await sleep(7000)
    log('Redis thawed'); redis.signal('SIGCONT'); await sleep(5000)
    for (const [i, instance] of instances.entries()) {
      log(`instance ${'ab'[i]} stopped (SIGTERM) and started again`)
      lastShutdown = Date.now()
      instance.kill('SIGTERM')
      await once(instance.child, 'exit')
      instances[i] = await InstanceProcess.start(cleanup, { ...env, INSTANCE_ID: 'ab'[i] }, { ...START, port: instance.port })
      await sleep(3000)
    }
    publisher.stop()
    await publishing
    const last = Math.max(...publisher.accepted.keys())
    log(`publishing stopped at message ${last}; waiting for the clients to catch up`)
    await until(() => everyone.every((l) => l.received.has(last)), 10_000)

    const result = {
      date: new Date().toISOString(),
      phases,
      publisher: { accepted: publisher.accepted.size, refused503: publisher.refused, unknownOutcome: publisher.unknown, unknownBy: publisher.unknownBy },
      sdk: figures(kinds.sdk, publisher.accepted),
      raw: figures(kinds.raw, publisher.accepted),
      rawSince: figures(kinds.rawSince, publisher.accepted),
      misses: {
        sdk: misses(kinds.sdk, publisher.accepted, true),
        raw: misses(kinds.raw, publisher.accepted, false),
        rawSince: misses(kinds.rawSince, publisher.accepted, true)
      }
    }
    console.table({ sdk: result.sdk, raw: result.raw, rawSince: result.rawSince })
    for (const [kind, list] of Object.entries(result.misses)) {
      for (const miss of list) console.log(`${kind} client ${miss.client} missed ${JSON.stringify(miss)}`)
    }
    console.log(`publisher: ${JSON.stringify(result.publisher)}`)
    const dir = join(projectRoot, 'bench', 'results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${result.date.slice(0, 10)}-chaos.json`), JSON.stringify(result, null, 2) + '\n')
  } finally {
    await cleanup.run()
  }
}

await main()
