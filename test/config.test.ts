/** Reading the configuration from the environment: defaults, numbers, and errors that name the variable. */
import t from 'tap'
import { clusterSeeds, loadConfig } from '../src/config.js'

t.test('defaults', async (t) => {
  t.match(loadConfig({}), { PORT: 3002, HOST: '0.0.0.0', LOG_LEVEL: 'info', MAX_MESSAGE_BYTES: 65536, PING_INTERVAL_MS: 30000 })
})

t.test('values from the environment are read as numbers', async (t) => {
  t.match(loadConfig({ PORT: '8080', MAX_MESSAGE_BYTES: '1024' }), { PORT: 8080, MAX_MESSAGE_BYTES: 1024 })
})

t.test('a bad value stops the start with a sentence naming the variable', async (t) => {
  t.throws(() => loadConfig({ PORT: 'abc' }), /Invalid configuration: PORT must be integer/)
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT must be <= 65535/)
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL must be equal to one of the allowed values/)
  t.throws(() => loadConfig({ MAX_MESSAGE_BYTES: '10' }), /MAX_MESSAGE_BYTES must be >= 64/)
})

t.test('without an argument it reads process.env', async (t) => {
  const saved = process.env.MAX_SUBSCRIPTIONS
  t.teardown(() => {
    if (saved === undefined) delete process.env.MAX_SUBSCRIPTIONS
    else process.env.MAX_SUBSCRIPTIONS = saved
  })
  process.env.MAX_SUBSCRIPTIONS = '7'
  t.equal(loadConfig().MAX_SUBSCRIPTIONS, 7)
})

t.test('REDIS_URL must be a redis:// or rediss:// address', async (t) => {
  t.equal(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL, 'redis://127.0.0.1:6379')
  t.throws(() => loadConfig({ REDIS_URL: 'http://127.0.0.1' }), /REDIS_URL must match pattern/)
})

t.test('REDIS_CLUSTER_NODES takes comma-separated host:port seeds, with REDIS_PASSWORD and REDIS_TLS', async (t) => {
  const config = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002', REDIS_PASSWORD: 's3cret', REDIS_TLS: 'true' })
  t.match(config, { REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002', REDIS_PASSWORD: 's3cret', REDIS_TLS: true })
  t.same(clusterSeeds(config.REDIS_CLUSTER_NODES ?? ''), [
    { host: '10.0.0.1', port: 7000 }, { host: 'redis-b.internal', port: 7001 }, { host: '::1', port: 7002 }
  ])
  t.equal(loadConfig({}).REDIS_TLS, false, 'TLS is off unless asked for')
  for (const bad of ['10.0.0.1', '10.0.0.1:0', 'a:70000', '10.0.0.1:7000,', 'redis://a:7000', 'a b:7000']) {
    t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: bad }), /Invalid configuration: REDIS_CLUSTER_NODES entry ".*" must be host:port \(port 1 to 65535\)/, `"${bad}" is refused`)
  }
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://b:6379' }), /set REDIS_URL \(one Redis\) or REDIS_CLUSTER_NODES \(a Redis Cluster\), not both/)
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_PREFIX: 'app{1}:' }), /REDIS_PREFIX "app\{1\}:" must hold no \{ or \} with REDIS_CLUSTER_NODES/)
  t.equal(loadConfig({ REDIS_URL: 'redis://b:6379', REDIS_PREFIX: 'app{1}:' }).REDIS_PREFIX, 'app{1}:', 'one Redis has no hash slots to mind')
})

t.test('WORKERS runs several processes only with Redis to share topics through', async (t) => {
  t.equal(loadConfig({}).WORKERS, 1)
  t.equal(loadConfig({ WORKERS: '4', REDIS_URL: 'redis://127.0.0.1:6379' }).WORKERS, 4)
  t.equal(loadConfig({ WORKERS: '2', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).WORKERS, 2)
  t.throws(() => loadConfig({ WORKERS: '2' }), /Invalid configuration: WORKERS=2 needs REDIS_URL or REDIS_CLUSTER_NODES/)
  t.throws(() => loadConfig({ WORKERS: '0' }), /WORKERS must be >= 1/)
  t.throws(() => loadConfig({ WORKERS: '2', PORT: '0', REDIS_URL: 'redis://127.0.0.1:6379' }), /Invalid configuration: WORKERS=2 needs a fixed PORT \(not 0\)/)
  t.equal(loadConfig({ WORKERS: '1', PORT: '0' }).PORT, 0)
})
