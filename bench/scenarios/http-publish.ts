/**
 * HTTP publish to 100 subscribers: one request at a time (what the path adds to one publish), then a
 * few in flight (throughput, where the server may batch its writes).
 *
 * On proxyer it measures what Fastify's routing, validation and serialization add to a publish:
 * POST /publish/:topic against a plain node:http server in the same process calling the same broker
 * (servers/proxyer-http-floor.mjs). The two alternate in short rounds, the order swapped each round,
 * so that other load on the machine, which drifts over seconds, falls on both alike; the spread of
 * the per-round figures shows the noise left.
 *
 * That spread is wide (a publish to 100 subscribers one at a time is 100 unbatched socket writes,
 * whose cost swings by tens of percent), so Fastify's own cost is also measured where nothing else
 * moves: the same rounds to a topic without subscribers. Their difference in µs, over the cost of a
 * publish to 100 subscribers, is the figure the target checks.
 *
 * On every server, the same publishes over WebSocket too, for reference only: HTTP against WebSocket
 * weighs Node's HTTP stack against WebSocket framing more than anything of the server's own.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { WindowedPublisher } from '../load/windowed-publisher.js'
import { HttpPublisher } from '../load/http-publisher.js'
import { drain, rates, snapshot, type WindowRates } from '../load/measure.js'
import { Rig, round, rounded } from './rig.js'
import { median, medianWithExtremes } from '../lib/median.js'
import type { Endpoint, Metrics, Task, TaskResult } from '../lib/types.js'

const TOPIC = 'http'
/** A topic nobody subscribes to: a publish there is the HTTP path alone. */
const EMPTY_TOPIC = 'http-empty'
/** Pairs of windows, Fastify and plain node:http, at each concurrency. */
const ROUNDS = 5

interface Publisher {
  start: () => void
  stop: () => void | Promise<void>
  readonly expected: number
  readonly received: number
}

/** One comparison's windows, round by round. */
interface Rounds {
  fastify: WindowRates[]
  floor: WindowRates[]
}
/** Figures of several windows in one, by name (those of WindowRates that are numbers). */
type Medians = Record<string, number | null>

export async function httpPublish (task: Task): Promise<TaskResult> {
  const { params, durations } = task
  const subscribers = params.subscribers
  const concurrency = params.concurrency ?? 8
  const padBytes = params.padBytes ?? 32
  const rig = new Rig(task)
  try {
    await rig.subscribers(subscribers - 1, () => TOPIC)
    await rig.probe(TOPIC)
    const publisherClient = await rig.client()
    // over all phases (lost = expected - received), each taken once its phase has drained: a publisher keeps counting later phases
    let expected = 0
    let received = 0
    const httpPublishers: HttpPublisher[] = []

    /** A warm-up, a window of `measureMs`, then the deliveries still in flight. */
    const measure = async (publisher: Publisher, answered: () => number, measureMs: number): Promise<WindowRates> => {
      publisher.start()
      await sleep(durations.warmupMs)
      const from = snapshot(task, rig.counter.delivered, answered())
      await sleep(measureMs)
      const to = snapshot(task, rig.counter.delivered, answered())
      await publisher.stop()
      await drain(() => publisher.expected - publisher.received)
      expected += publisher.expected
      received += publisher.received
      return rates(from, to)
    }
    /** Publishes over WebSocket with at most `inFlight` unanswered. */
    const overWebSocket = (inFlight: number): Promise<WindowRates> => {
      const ws = new WindowedPublisher([publisherClient], rig.dialect, rig.counter, {
        topics: [TOPIC], subscribersPerTopic: subscribers, padBytes, maxUnanswered: inFlight
      })
      return measure(ws, () => ws.answered, durations.measureMs)
    }
    /** Publishes over HTTP with `inFlight` requests in flight, one per keep-alive connection. */
    const overHttp = (endpoint: Endpoint, inFlight: number, measureMs = durations.measureMs, topic = TOPIC): Promise<WindowRates> => {
      const http = new HttpPublisher(endpoint, topic, topic === TOPIC ? subscribers : 0, inFlight, rig.counter, padBytes)
      httpPublishers.push(http)
      return measure(http, () => http.accepted, measureMs)
    }

    /**
     * Fastify and plain node:http in turn, ROUNDS pairs, the order swapped each round. Each window is half
     * the usual: several short ones each way resist drifting load better than one long one.
     */
    const rounds = async (fastify: Endpoint, floor: Endpoint, inFlight: number, topic = TOPIC): Promise<Rounds> => {
      const windows: Rounds = { fastify: [], floor: [] }
      for (let i = 0; i < ROUNDS; i++) {
        const sides = [[fastify, windows.fastify], [floor, windows.floor]] as const
        for (const [endpoint, list] of i % 2 === 0 ? sides : [...sides].reverse()) {
          list.push(await overHttp(endpoint, inFlight, durations.measureMs / 2, topic))
        }
      }
      return windows
    }

    const ws1 = await overWebSocket(1)
    const wsN = await overWebSocket(concurrency)
    // HTTP is the server's own POST /publish: Fastify's on proxyer, then the medians of its rounds
    let http1: WindowRates | Medians
    let httpN: WindowRates | Medians
    let againstFloor: Metrics = {}
    if (task.httpFloor === undefined) {
      http1 = await overHttp(task.endpoints[0], 1)
      httpN = await overHttp(task.endpoints[0], concurrency)
    } else {
      const one = await rounds(task.endpoints[0], task.httpFloor, 1)
      const many = await rounds(task.endpoints[0], task.httpFloor, concurrency)
      const empty = await rounds(task.endpoints[0], task.httpFloor, 1, EMPTY_TOPIC)
      http1 = overRounds(one.fastify)
      httpN = overRounds(many.fastify)
      const floor1 = overRounds(one.floor)
      againstFloor = {
        ...fastifyCost(empty, floor1.serverCpuUsPerPublish),
        ...prefixed('floor1', floor1),
        ...prefixed('floorN', overRounds(many.floor)),
        ...spread('fastifyOverhead', one),
        ...spread('fastifyOverheadConcurrent', many)
      }
    }

    return {
      metrics: {
        subscribers,
        concurrency,
        ...prefixed('ws1', ws1),
        ...prefixed('http1', http1),
        ...prefixed('wsN', wsN),
        ...prefixed('httpN', httpN),
        httpOverheadPct: overhead(ws1.serverCpuUsPerPublish, http1.serverCpuUsPerPublish),
        httpOverheadConcurrentPct: overhead(wsN.serverCpuUsPerPublish, httpN.serverCpuUsPerPublish),
        ...againstFloor,
        httpFailed: httpPublishers.reduce((sum, p) => sum + p.failed, 0),
        expected,
        received,
        lost: expected - received
      },
      notes: []
    }
  } finally {
    rig.close()
  }
}

/** How much more server CPU a publish costs on a path than on the base, in percent. */
function overhead (base: number | null | undefined, path: number | null | undefined): number | null {
  return base == null || path == null ? null : round((path / base - 1) * 100, 1)
}

/**
 * Fastify's overhead over plain node:http, round by round: the median, the extremes (the noise), and each
 * round's figure with the most other load either of its windows saw, to tell a disturbed round.
 */
function spread (prefix: string, { fastify, floor }: Rounds): Metrics {
  const pcts = fastify.map((window, i) => overhead(floor[i].serverCpuUsPerPublish, window.serverCpuUsPerPublish))
  const { median, min, max } = medianWithExtremes(pcts.filter((pct) => pct !== null))
  const otherLoad = (window: WindowRates): number => Math.max(window.otherLoadServerCorePct, window.otherLoadGeneratorCorePct)
  return {
    [`${prefix}Pct`]: median,
    [`${prefix}MinPct`]: min,
    [`${prefix}MaxPct`]: max,
    [`${prefix}Rounds`]: pcts.map((pct) => pct ?? '-').join(' / '),
    [`${prefix}RoundsOtherLoadPct`]: fastify.map((window, i) => Math.max(otherLoad(window), otherLoad(floor[i])).toFixed(0)).join(' / ')
  }
}

/**
 * Fastify's own CPU per request, from the rounds to a topic without subscribers (Fastify − node:http,
 * median of the rounds, and its extremes), and that as a share of a publish to 100 subscribers.
 */
function fastifyCost ({ fastify, floor }: Rounds, publishUs: number | null): Metrics {
  const deltas = fastify.flatMap((window, i) => {
    const [path, base] = [window.serverCpuUsPerPublish, floor[i].serverCpuUsPerPublish]
    return path === null || base === null ? [] : [path - base]
  })
  const us = medianWithExtremes(deltas)
  const tenths = (value: number | null): number | null => value === null ? null : round(value, 1)
  return {
    emptyFastifyCpuUsPerRequest: median(fastify.flatMap((w) => w.serverCpuUsPerPublish ?? [])),
    emptyFloorCpuUsPerRequest: median(floor.flatMap((w) => w.serverCpuUsPerPublish ?? [])),
    fastifyCostUs: tenths(us.median),
    fastifyCostMinUs: tenths(us.min),
    fastifyCostMaxUs: tenths(us.max),
    fastifyCostPct: us.median === null || publishUs === null ? null : round(us.median / publishUs * 100, 1)
  }
}

/** The rounds' windows as one: each figure's median, but the most other load any window saw. */
function overRounds (windows: WindowRates[]): Medians {
  const keys = (Object.keys(windows[0]) as Array<keyof WindowRates>).filter((key) => key !== 'serverCpuPctByProcess')
  return Object.fromEntries(keys.map((key) => {
    const values = windows.map((window) => window[key]).filter((value) => typeof value === 'number')
    return [key, key.startsWith('otherLoad') ? Math.max(...values) : median(values)]
  }))
}

function prefixed (prefix: string, figures: WindowRates | Medians): Metrics {
  const values = rounded({ ...figures })
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [prefix + key[0].toUpperCase() + key.slice(1), value]))
}
