/**
 * Slow consumer: the others' deliveries a second and the server's memory, first with every
 * subscriber reading, then with one more that stops reading; at the end the stalled one reads
 * again to learn how the server closed it (proxyer: 4008).
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { WindowedPublisher } from '../load/windowed-publisher.js'
import { drain, rates, snapshot } from '../load/measure.js'
import { DeliveryCounter } from '../load/delivery-counter.js'
import { rssBytes } from '../lib/proc.js'
import { Rig, round, rounded } from './rig.js'
import type { Task, TaskResult } from '../lib/types.js'

const TOPIC = 'slow'
const RSS_EVERY_MS = 100
const CLOSE_WAIT_MS = 5_000

export async function slowConsumer (task: Task): Promise<TaskResult> {
  const { params, durations } = task
  const subscribers = params.subscribers
  const rig = new Rig(task)
  try {
    await rig.subscribers(subscribers - 1, () => TOPIC)
    await rig.probe(TOPIC)
    const publisher = new WindowedPublisher([await rig.client()], rig.dialect, rig.counter, {
      topics: [TOPIC], subscribersPerTopic: subscribers, padBytes: params.padBytes ?? 1024
    })

    publisher.start()
    await sleep(durations.warmupMs)
    const aFrom = snapshot(task, rig.counter.delivered, publisher.answered)
    const rssWithout = await peakRss(task.pids[0], durations.measureMs)
    const aTo = snapshot(task, rig.counter.delivered, publisher.answered)

    // the stalled subscriber counts apart, so the publisher's window and the loss count are the others'
    const stalled = await rig.client(task.endpoints[0], new DeliveryCounter())
    await stalled.subscribe(TOPIC)
    stalled.pause()
    const stalledAt = performance.now()
    const sentBeforeStall = publisher.sent
    const bFrom = snapshot(task, rig.counter.delivered, publisher.answered)
    const rssWith = await peakRss(task.pids[0], durations.measureMs)
    const bTo = snapshot(task, rig.counter.delivered, publisher.answered)
    const rssEnd = rssBytes(task.pids[0])
    publisher.stop()
    const publishedWhileStalled = publisher.sent - sentBeforeStall
    await drain(() => publisher.expected - publisher.received)
    // taken before the stalled subscriber reads again, as its deliveries add to the same counter
    const { expected, received } = publisher

    stalled.resume()
    const closed = await stalled.closed(CLOSE_WAIT_MS)
    const without = rates(aFrom, aTo)
    const withStalled = rates(bFrom, bTo)
    return {
      metrics: {
        subscribers,
        padBytes: params.padBytes ?? 1024,
        withoutDeliveriesPerSec: round(without.deliveriesPerSec),
        withDeliveriesPerSec: round(withStalled.deliveriesPerSec),
        throughputRatio: round(withStalled.deliveriesPerSec / without.deliveriesPerSec, 3),
        ...rounded({
          withoutServerCpuPct: without.serverCpuPct,
          withServerCpuPct: withStalled.serverCpuPct,
          withoutGeneratorCpuPct: without.generatorCpuPct,
          withGeneratorCpuPct: withStalled.generatorCpuPct,
          otherLoadServerCorePct: Math.max(without.otherLoadServerCorePct, withStalled.otherLoadServerCorePct),
          otherLoadGeneratorCorePct: Math.max(without.otherLoadGeneratorCorePct, withStalled.otherLoadGeneratorCorePct)
        }),
        rssWithoutMaxMb: round(rssWithout / 2 ** 20),
        rssWithMaxMb: round(rssWith / 2 ** 20),
        rssEndMb: round(rssEnd / 2 ** 20),
        stalledClosed: closed,
        stalledCloseCode: stalled.closeCode ?? null,
        publishedWhileStalled,
        /** What the server still held for the stalled subscriber and handed over once it read again. */
        stalledReceived: stalled.delivered,
        stalledForSec: round((performance.now() - stalledAt) / 1000),
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

/** The highest resident memory of a process seen over `ms`. */
async function peakRss (pid: number, ms: number): Promise<number> {
  const end = performance.now() + ms
  let peak = rssBytes(pid)
  while (performance.now() < end) {
    await sleep(Math.min(RSS_EVERY_MS, Math.max(0, end - performance.now())))
    peak = Math.max(peak, rssBytes(pid))
  }
  return peak
}
