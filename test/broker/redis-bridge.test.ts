/** Parsing REDIS_BRIDGE: channels and patterns mapped to topics, and bad entries named. */
import t from 'tap'
import { parseBridge } from '../../src/broker/redis/bridge.js'

t.test('parses channels and patterns', async (t) => {
  t.same(parseBridge('boards:zoo:visits=booked, legacy:*=legacy'), [
    { source: 'boards:zoo:visits', pattern: false, topic: 'booked' },
    { source: 'legacy:*', pattern: true, topic: 'legacy' }
  ])
  t.same(parseBridge(''), [], 'empty means no bridge')
})

t.test('a bad entry stops the start, naming it', async (t) => {
  t.throws(() => parseBridge('boards:zoo:visits'), /REDIS_BRIDGE entry "boards:zoo:visits" must be channel=topic/)
  t.throws(() => parseBridge('=booked'), /REDIS_BRIDGE entry "=booked"/)
  t.throws(() => parseBridge('a=not a topic'), /REDIS_BRIDGE entry "a=not a topic"/)
})
