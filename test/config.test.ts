/** Reading the configuration from the environment: defaults, numbers, and errors that name the variable. */
import t from 'tap'
import { loadConfig } from '../src/config.js'

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
