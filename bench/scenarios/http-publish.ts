/**
 * HTTP publish: the same publishes to the same subscribers over WebSocket and through
 * POST /publish/:topic, first one at a time (what the HTTP path adds to one publish, alike for both),
 * then with a few in flight (throughput, where the server may batch its writes).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { WindowedPublisher } from '../load/windowed-publisher.js'
import { HttpPublisher } from '../load/http-publisher.js'
import { drain, rates, snapshot, type WindowRates } from '../load/measure.js'
import { Rig, round, rounded } from './rig.js'
import type { Metrics, Task, TaskResult } from '../lib/types.js'

const TOPIC = 'http'

interface Phase {
  rates: WindowRates
  expected: number
  received: number
}

export async function httpPublish (task: Task): Promise<TaskResult> {
  const { params, durations } = task
  const subscribers = params.subscribers
  const padBytes = params.padBytes ?? 32
  const rig = new Rig(task)
  try {
    await rig.subscribers(subscribers - 1, () => TOPIC)
    await rig.probe(TOPIC)
    const publisherClient = await rig.client()

    /** Publishes over WebSocket with at most `inFlight` unanswered. */
    const overWebSocket = async (inFlight: number): Promise<Phase> => {
      const ws = new WindowedPublisher([publisherClient], rig.dialect, rig.counter, {
        topics: [TOPIC], subscribersPerTopic: subscribers, padBytes, maxUnanswered: inFlight
      })
      ws.start()
      await sleep(durations.warmupMs)
      const from = snapshot(task, rig.counter.delivered, ws.answered)
      await sleep(durations.measureMs)
      const to = snapshot(task, rig.counter.delivered, ws.answered)
      ws.stop()
      await drain(() => ws.expected - ws.received)
      return { rates: rates(from, to), expected: ws.expected, received: ws.received }
    }
    /** Publishes over HTTP with `inFlight` requests in flight, one per keep-alive connection. */
    const overHttp = async (inFlight: number): Promise<Phase & { failed: number }> => {
      const http = new HttpPublisher(task.endpoints[0], TOPIC, subscribers, inFlight, rig.counter, padBytes)
      http.start()
      await sleep(durations.warmupMs)
      const from = snapshot(task, rig.counter.delivered, http.accepted)
      await sleep(durations.measureMs)
      const to = snapshot(task, rig.counter.delivered, http.accepted)
      await http.stop()
      await drain(() => http.expected - http.received)
      return { rates: rates(from, to), expected: http.expected, received: http.received, failed: http.failed }
    }

    const concurrency = params.concurrency ?? 8
    const ws1 = await overWebSocket(1)
    const http1 = await overHttp(1)
    const wsN = await overWebSocket(concurrency)
    const httpN = await overHttp(concurrency)
    const phases = [ws1, http1, wsN, httpN]
    const expected = phases.reduce((sum, phase) => sum + phase.expected, 0)
    const received = phases.reduce((sum, phase) => sum + phase.received, 0)
    return {
      metrics: {
        subscribers,
        concurrency,
        ...prefixed('ws1', ws1.rates),
        ...prefixed('http1', http1.rates),
        ...prefixed('wsN', wsN.rates),
        ...prefixed('httpN', httpN.rates),
        httpOverheadPct: overhead(ws1.rates, http1.rates),
        httpOverheadConcurrentPct: overhead(wsN.rates, httpN.rates),
        httpFailed: http1.failed + httpN.failed,
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

/** How much more server CPU a publish costs over HTTP than over WebSocket, in percent. */
function overhead (ws: WindowRates, http: WindowRates): number | null {
  if (ws.serverCpuUsPerPublish === null || http.serverCpuUsPerPublish === null) return null
  return round((http.serverCpuUsPerPublish / ws.serverCpuUsPerPublish - 1) * 100, 1)
}

function prefixed (prefix: string, figures: WindowRates): Metrics {
  const values = rounded({ ...figures })
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [prefix + key[0].toUpperCase() + key.slice(1), value]))
}
