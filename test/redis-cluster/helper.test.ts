/** The Redis Cluster test helper: a real cluster starts, covers every slot, fails over, and stops by PID. */
import t from 'tap'
import { RedisCluster } from '../redis-cluster.js'

t.test('three masters and three replicas cover all 16384 slots, and a killed master is replaced by its replica', async (t) => {
  const cluster = await RedisCluster.start(t)
  t.equal(cluster.nodes.length, 6)
  const info = await cluster.nodes[0].command('CLUSTER', 'INFO')
  t.match(info, /cluster_state:ok/)
  t.match(info, /cluster_slots_assigned:16384/)
  t.match(info, /cluster_known_nodes:6/)
  t.match(info, /cluster_size:3/, 'three masters share the slots')

  const client = cluster.client(t)
  await client.set('{booked}:k', 'before')
  const master = await cluster.masterOf('{booked}:k')
  // WAIT: the replica has the write before its master dies, so the test checks failover, not replication lag
  t.equal(await client.wait(1, 2000), 1, 'the write reached the replica')
  const pid = master.pid
  const started = Date.now()
  const promoted = await cluster.killMaster(master)
  t.comment(`failover took ${Date.now() - started} ms (cluster-node-timeout 1000 ms)`)
  t.notOk(master.running, `the master (pid ${pid}) is gone`)
  t.not(promoted.port, master.port)
  t.equal(await cluster.masterOf('{booked}:k'), promoted, 'the promoted replica serves the slot')
  t.match(await promoted.command('INFO', 'replication'), /role:master/)
  t.equal(await client.get('{booked}:k'), 'before', 'the client follows the slot to the promoted replica and reads the write')
})

t.test('three masters alone, for a test that needs no failover; stop() kills every node by PID', async (t) => {
  const cluster = await RedisCluster.start(t, { replicas: 0 })
  t.equal(cluster.nodes.length, 3)
  t.match(await cluster.nodes[2].command('CLUSTER', 'INFO'), /cluster_slots_ok:16384/)
  t.equal(cluster.seeds.split(',').length, 3)
  await t.rejects(cluster.killMaster(cluster.nodes[0]), /has no replica to take over/)
  t.ok(cluster.nodes[0].running, 'a master without replica is left running')

  const pids = cluster.nodes.map((n) => n.pid)
  await cluster.stop()
  for (const pid of pids) t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `stop() killed pid ${pid}`)
})
