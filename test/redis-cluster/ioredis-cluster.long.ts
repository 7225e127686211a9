/**
 * What ioredis' Cluster client does against a real Redis Cluster, for the cluster engine to build on:
 * sharded pub/sub and its fate on failover, and hash-tagged Lua scripts defined with defineCommand.
 */
import t from 'tap'
import type { Cluster } from 'ioredis'
import { Arrivals, eventually, eventuallyValue } from '../helper.js'
import { RedisCluster } from '../redis-cluster.js'

/** Messages a sharded subscriber has received, as [channel, message], with a way to wait for one. */
function collect (subscriber: Cluster): { got: Array<[string, string]>, next: (message: string) => Promise<unknown> } {
  const arrivals = new Arrivals<[string, string]>('smessage')
  subscriber.on('smessage', (channel: string, message: string) => arrivals.add([channel, message]))
  return { got: arrivals.items, next: async (message) => arrivals.waitFor(([, m]) => m === message, 10_000) }
}

t.test('sharded pub/sub: SSUBSCRIBE on the shard of the channel, smessage events, and ioredis resubscribes after failover', async (t) => {
  const cluster = await RedisCluster.start(t)
  const subscriber = cluster.client(t, { shardedSubscribers: true })
  const publisher = cluster.client(t)
  const { got, next } = collect(subscriber)
  const channels = ['proxyer:{booked}', 'proxyer:{visits}', 'proxyer:{gates}']
  // ioredis refuses channels of different slots in one SSUBSCRIBE: one call per channel
  await t.rejects(subscriber.ssubscribe(channels[0], channels[1]), /CROSSSLOT/)
  for (const channel of channels) await subscriber.ssubscribe(channel)

  // the channel lives on one shard only: the master of its slot lists it, no other node does
  const owner = await cluster.masterOf(channels[0])
  for (const node of cluster.nodes.filter((n) => n.running)) {
    const listed = await node.command('PUBSUB', 'SHARDCHANNELS')
    t.equal(listed.includes(channels[0]), node === owner, `node ${node.port} ${node === owner ? 'holds' : 'does not hold'} the booked channel`)
  }

  for (const channel of channels) t.equal(await publisher.spublish(channel, `first on ${channel}`), 1, 'SPUBLISH reaches the one subscriber')
  for (const channel of channels) await next(`first on ${channel}`)
  t.same(got.map(([channel]) => channel).sort(), [...channels].sort(), 'smessage gives the channel and the message')

  const killedAt = Date.now()
  await cluster.killMaster(owner)
  // the publisher follows the slot (MOVED) on its own; the subscriber must SSUBSCRIBE again on the promoted replica
  let receivers = 0
  await eventually(async () => {
    receivers = Number(await publisher.spublish(channels[0], 'after failover').catch(() => 0))
    return receivers > 0
  }, 'a subscriber receives on the promoted replica', 15_000)
  t.equal(receivers, 1, 'ioredis resubscribed the sharded channel on the promoted replica by itself')
  t.comment(`sharded subscription live again ${Date.now() - killedAt} ms after the master was killed`)
  await next('after failover')
  t.equal(await publisher.spublish(channels[1], 'other shard'), 1, 'the other shards kept their subscriptions')
  await next('other shard')
})

t.test('a Lua script whose keys share the {topic} hash tag runs on one shard, through defineCommand (EVALSHA), even after failover', async (t) => {
  const cluster = await RedisCluster.start(t)
  const client = cluster.client(t)
  const subscriber = cluster.client(t, { shardedSubscribers: true })
  const { next } = collect(subscriber)
  // the shape the publish script takes on a cluster: every key it touches, and its channel, in KEYS with one tag
  client.defineCommand('spikePublish', {
    numberOfKeys: 3,
    lua: `
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', 100, offset .. '-0', 'f', ARGV[1])
redis.call('SPUBLISH', KEYS[3], offset .. ':' .. ARGV[1])
return offset`
  })
  const keys = (topic: string): string[] => [`proxyer:{${topic}}:stats`, `proxyer:{${topic}}:history`, `proxyer:{${topic}}`]
  const run = async (topic: string, message: string): Promise<number> => Number(await (client as any).spikePublish(...keys(topic), message))
  await subscriber.ssubscribe(keys('booked')[2])

  t.equal(await run('booked', 'a'), 1)
  t.equal(await run('booked', 'b'), 2)
  await next('2:b')
  const owner = await cluster.masterOf('{booked}')
  t.match(await owner.command('HGET', keys('booked')[0], 'offset'), '2', 'the keys live on the master of the tag\'s slot')
  t.equal(await owner.command('XLEN', keys('booked')[1]), '2')

  // 200 publishes from 4 clients at once: the offsets 3..202 each come once, as one script runs at a time on the shard
  const writers = [client, cluster.client(t), cluster.client(t), cluster.client(t)]
  for (const w of writers.slice(1)) w.defineCommand('spikePublish', { numberOfKeys: 3, lua: (client as any).scriptsSet.spikePublish.lua })
  const offsets = await Promise.all(Array.from({ length: 200 }, async (_, i) => Number(await (writers[i % 4] as any).spikePublish(...keys('booked'), `m${i}`))))
  t.same([...offsets].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i + 3), 'no offset given twice or skipped')

  await t.rejects((client as any).spikePublish('proxyer:{booked}:stats', 'proxyer:{visits}:history', 'proxyer:{booked}', 'x'), /CROSSSLOT/,
    'keys of two topics in one script are refused')

  // the promoted replica never ran EVAL: its script cache is empty, and ioredis falls back from EVALSHA to EVAL
  const promoted = await cluster.killMaster(owner)
  t.equal(await promoted.command('SCRIPT', 'EXISTS', (client as any).scriptsSet.spikePublish.sha), '0', 'the promoted replica has no script cached')
  // until ioredis has learnt the new owner of the slot, the publish fails: tried again, not counted
  const offset = await eventuallyValue(async () => run('booked', 'after').catch(() => undefined), 'the script runs on the promoted replica', 15_000)
  t.ok(offset > 0, 'the script runs on the promoted replica through the same defined command')
  t.comment(`first offset after failover: ${offset} (203 when the replica had every write before its master died)`)
})
