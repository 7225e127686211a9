/**
 * Latency at a fixed rate: every frame-counting subscriber times each delivery against the moment
 * the message was written (the k-th delivery on a subscriber is message k: one topic, ordered).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { RatePublisher } from '../load/rate-publisher.js'
import { drain, rates, snapshot } from '../load/measure.js'
import { Rig, percentiles, rounded } from './rig.js'
import type { Task, TaskResult } from '../lib/types.js'

const TOPIC = 'latency'

export async function latency (task: Task): Promise<TaskResult> {
  const { params, durations } = task
  const rate = params.rate ?? 100
  const subscribers = params.subscribers
  const warmupMessages = Math.ceil(rate * durations.warmupMs / 1000)
  const capacity = warmupMessages + Math.ceil(rate * durations.measureMs / 1000)
  const samples = new Float64Array((subscribers - 1) * (capacity - warmupMessages))
  let sampled = 0
  const rig = new Rig(task)
  try {
    const clients = await rig.subscribers(subscribers - 1, () => TOPIC)
    const probe = await rig.probe(TOPIC)
    const publisher = new RatePublisher(await rig.publisher(), rig.dialect, TOPIC, rate, capacity, params.padBytes ?? 32)
    const sentAt = publisher.sentAt
    for (const client of clients) {
      client.hook = (index, now) => {
        if (index >= warmupMessages && index < capacity) samples[sampled++] = now - sentAt[index]
      }
    }

    publisher.start()
    await sleep(durations.warmupMs)
    const from = snapshot(task, rig.counter.delivered, publisher.sent)
    await sleep(durations.measureMs)
    const to = snapshot(task, rig.counter.delivered, publisher.sent)
    publisher.stop()
    const expected = (): number => publisher.sent * subscribers
    await drain(() => expected() - rig.counter.delivered)

    return {
      metrics: {
        subscribers,
        rate,
        ...percentiles(samples.subarray(0, sampled), 'latencyMs'),
        ...percentiles(probe.latencies.slice(warmupMessages), 'probeLatencyMs'),
        ...rounded({ ...rates(from, to) }),
        published: publisher.sent,
        expected: expected(),
        received: rig.counter.delivered,
        lost: expected() - rig.counter.delivered,
        probeOutOfOrder: probe.outOfOrder
      },
      notes: []
    }
  } finally {
    rig.close()
  }
}
