/**
 * Fanout, many topics and cluster: subscribers spread over topics (and instances), one publisher
 * kept just ahead of the server, deliveries a second and CPU per delivery over a fixed window.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { WindowedPublisher } from '../load/windowed-publisher.js'
import { drain, rates, snapshot } from '../load/measure.js'
import { Rig, rounded } from './rig.js'
import type { Task, TaskResult } from '../lib/types.js'

export async function throughput (task: Task): Promise<TaskResult> {
  const { endpoints, params, durations } = task
  const topicCount = params.topics ?? 1
  const perTopic = params.subscribers
  const total = topicCount * perTopic
  const topics = Array.from({ length: topicCount }, (_, i) => topicCount === 1 ? 'fanout' : `topic-${i}`)
  const rig = new Rig(task)
  try {
    // subscriber 0 is the parsing probe, opened last so that it is served last; on the last instance
    await rig.subscribers(total - 1, (i) => topics[(i + 1) % topicCount], (i) => endpoints[(i + 1) % endpoints.length])
    const probe = await rig.probe(topics[0], endpoints[endpoints.length - 1])
    const clients = await Promise.all(Array.from({ length: params.publishers ?? 1 }, () => rig.publisher(endpoints[0])))
    const publisher = new WindowedPublisher(clients, rig.dialect, rig.counter, {
      topics, subscribersPerTopic: perTopic, padBytes: params.padBytes ?? 32
    })

    publisher.start()
    await sleep(durations.warmupMs)
    const from = snapshot(task, rig.counter.delivered, publisher.answered)
    await sleep(durations.measureMs)
    const to = snapshot(task, rig.counter.delivered, publisher.answered)
    publisher.stop()
    await drain(() => publisher.expected - publisher.received)

    return {
      metrics: {
        subscribers: total,
        publishers: clients.length,
        ...rounded({ ...rates(from, to) }),
        published: publisher.sent,
        refused: publisher.refused,
        expected: publisher.expected,
        received: publisher.received,
        lost: publisher.expected - publisher.received,
        probeReceived: probe.received,
        probeOutOfOrder: probe.outOfOrder
      },
      notes: []
    }
  } finally {
    rig.close()
  }
}
