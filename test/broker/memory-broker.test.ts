/** The embedded broker on its own: delivery, figures, slow consumers and forgetting idle topics. */
import t from 'tap'
import { MemoryBroker } from '../../src/broker/memory-broker.js'
import type { Subscriber } from '../../src/broker/broker.js'
import { eventually } from '../helper.js'

function recorder (): Subscriber & { received: unknown[] } {
  const received: unknown[] = []
  return {
    received,
    deliver: (frame) => {
      const { action, topic, message } = JSON.parse(frame.payload.toString())
      received.push({ action, topic, message })
      return true
    }
  }
}

t.test('delivers to subscribers of the topic, once each, and counts', async (t) => {
  const broker = new MemoryBroker({ topicTtlMs: 60_000, idempotency: { ttlMs: 300_000, maxKeys: 1000 }, history: { size: 100, ttlMs: 60_000, topicMaxBytes: 1e9, maxBytes: 1e9 }, instanceId: 'test', describe: () => ({ connections: 0 }) })
  t.teardown(() => broker.close())
  const a = recorder()
  const b = recorder()
  await broker.subscribe('booked', a)
  await broker.subscribe('booked', b)
  await broker.subscribe('booked', b)
  await broker.subscribe('visits', b)

  t.match(await broker.publish('booked', 'm1'), { topic: 'booked', subscribers: 2, offset: 1 })
  t.same(a.received, [{ action: 'publish', topic: 'booked', message: 'm1' }])
  t.same(b.received, [{ action: 'publish', topic: 'booked', message: 'm1' }])

  await broker.unsubscribe('booked', a)
  t.match(await broker.publish('booked', 'm2'), { topic: 'booked', subscribers: 1, offset: 2 })
  t.equal(a.received.length, 1, 'no delivery after unsubscribe')
  t.match(await broker.topic('booked'), { subscribers: 1, published: 2, delivered: 3, slowConsumers: 0 })
})

t.test('a subscriber dropped as a slow consumer is counted, not delivered to', async (t) => {
  const broker = new MemoryBroker({ topicTtlMs: 60_000, idempotency: { ttlMs: 300_000, maxKeys: 1000 }, history: { size: 100, ttlMs: 60_000, topicMaxBytes: 1e9, maxBytes: 1e9 }, instanceId: 'test', describe: () => ({ connections: 0 }) })
  t.teardown(() => broker.close())
  const reader = recorder()
  // what a connection does once its queue is full: it leaves and refuses the frame
  const slow: Subscriber = {
    deliver: () => {
      broker.unsubscribe('booked', slow).catch(t.error)
      return false
    }
  }
  await broker.subscribe('booked', reader)
  await broker.subscribe('booked', slow)
  t.match(await broker.publish('booked', 'm1'), { subscribers: 1 }, 'the publisher hears of the one subscriber that took it')
  t.match(await broker.topic('booked'), { subscribers: 1, published: 1, delivered: 1, slowConsumers: 1 })
})

t.test('forgets a topic nobody listens to once its last message is older than the TTL', async (t) => {
  const broker = new MemoryBroker({ topicTtlMs: 50, idempotency: { ttlMs: 300_000, maxKeys: 1000 }, history: { size: 100, ttlMs: 50, topicMaxBytes: 1e9, maxBytes: 1e9 }, instanceId: 'test', describe: () => ({ connections: 0 }) })
  t.teardown(() => broker.close())
  const listener = recorder()
  await broker.subscribe('kept', listener)
  await broker.publish('kept', 1)
  await broker.publish('idle', 1)
  t.same((await broker.topics()).map((s) => s.topic).sort(), ['idle', 'kept'])
  // the sweep runs every 50 ms here; the one that forgets the idle topic has looked at the kept one too
  await eventually(async () => (await broker.topics()).every((s) => s.topic !== 'idle'), 'the idle topic is forgotten')
  t.same((await broker.topics()).map((s) => s.topic), ['kept'], 'a topic with a subscriber stays')
  t.equal(await broker.topic('idle'), undefined)
  t.equal(await broker.history('idle', undefined, 10, Infinity), undefined, 'its history and position went with it')
  t.match(await broker.history('kept', undefined, 10, Infinity), { offset: 1 }, 'a topic with a subscriber keeps its position')
})

t.test('a topic only subscribed and left is forgotten at once', async (t) => {
  const broker = new MemoryBroker({ topicTtlMs: 60_000, idempotency: { ttlMs: 300_000, maxKeys: 1000 }, history: { size: 100, ttlMs: 60_000, topicMaxBytes: 1e9, maxBytes: 1e9 }, instanceId: 'test', describe: () => ({ connections: 0 }) })
  t.teardown(() => broker.close())
  const listener = recorder()
  await broker.subscribe('booked', listener)
  await broker.unsubscribe('booked', listener)
  await broker.unsubscribe('booked', listener)
  t.same(await broker.topics(), [])
})

t.test('is ready until closed', async (t) => {
  const broker = new MemoryBroker({ topicTtlMs: 60_000, idempotency: { ttlMs: 300_000, maxKeys: 1000 }, history: { size: 100, ttlMs: 60_000, topicMaxBytes: 1e9, maxBytes: 1e9 }, instanceId: 'test', describe: () => ({ connections: 0 }) })
  t.equal(broker.ready, true)
  await broker.close()
  t.equal(broker.ready, false)
})
