/** The small parts access control and logging rest on: the token bucket, connection counts, allowed origins, TRUST_PROXY and secrets masked in logged URLs. */
import t from 'tap'
import { TokenBucket } from '../../src/access/token-bucket.js'
import { ConnectionCounter } from '../../src/access/connection-counter.js'
import { AllowedOrigins } from '../../src/access/allowed-origins.js'
import { trustProxy } from '../../src/trust-proxy.js'
import { requestSerializer, urlWithoutToken } from '../../src/log-serializers.js'
import { redactedUrl } from '../../src/broker/redis/wait-for-redis.js'

t.test('token bucket: a burst at once, then the sustained rate', async (t) => {
  const bucket = new TokenBucket({ perSecond: 10, burst: 20 }, 0)
  let served = 0
  for (let i = 0; i < 30; i++) if (bucket.take(0)) served++
  t.equal(served, 20, 'the burst, then refusals')
  t.notOk(bucket.take(50), 'half a token after 50 ms')
  t.ok(bucket.take(100), 'one token after 100 ms')
  t.equal([...Array(30)].filter(() => bucket.take(10_000)).length, 20, 'refills up to the burst, no further')
})

t.test('connection counter: per instance and per address, released on close', async (t) => {
  const counter = new ConnectionCounter({ maxConnections: 3, maxPerAddress: 2 })
  t.equal(counter.admit('a'), 'admitted')
  t.equal(counter.admit('a'), 'admitted')
  t.equal(counter.admit('a'), 'address_full')
  t.equal(counter.admit('b'), 'admitted')
  t.equal(counter.admit('c'), 'instance_full')
  counter.release('a')
  t.equal(counter.size, 2)
  t.equal(counter.admit('c'), 'admitted')
  counter.release('b')
  t.equal(counter.admit('b'), 'admitted', 'an address with none left starts over')
  t.equal(new ConnectionCounter({}).admit('a'), 'admitted', 'no caps')
})

t.test('allowed origins', async (t) => {
  const origins = new AllowedOrigins('https://zoo.example, http://localhost:3000')
  t.ok(origins.allows('https://zoo.example'))
  t.ok(origins.allows(undefined), 'no Origin: not a web page')
  t.notOk(origins.allows('https://evil.example'))
  t.ok(new AllowedOrigins('*').allows('https://evil.example'))
  t.ok(new AllowedOrigins('').any)
})

t.test('TRUST_PROXY: off, a hop count, or addresses', async (t) => {
  t.equal(trustProxy(undefined), false)
  t.equal(trustProxy(' '), false)
  const hops = trustProxy('1') as (address: string, hop: number) => boolean
  t.same([hops('10.0.0.1', 0), hops('10.0.0.1', 1)], [true, false])
  t.same(trustProxy('127.0.0.1, 10.0.0.0/8,loopback'), ['127.0.0.1', '10.0.0.0/8', 'loopback'])
})

t.test('secrets masked in logged URLs', async (t) => {
  t.equal(urlWithoutToken('/message'), '/message')
  t.equal(urlWithoutToken('/topics?scope=local'), '/topics?scope=local')
  t.equal(urlWithoutToken('/message?token=eyJ.x.y&v=1'), '/message?token=%5Bredacted%5D&v=1')
  t.notMatch(urlWithoutToken('/message?%74oken=eyJsecret'), 'eyJsecret', 'an encoded name is caught too')
  t.same(requestSerializer({ method: 'GET', url: '/message?token=abc', host: 'h', ip: '10.0.0.1', socket: { remotePort: 5 } }),
    { method: 'GET', url: '/message?token=%5Bredacted%5D', host: 'h', remoteAddress: '10.0.0.1', remotePort: 5 }, 'the logged request')
  t.equal(redactedUrl('redis://:pw@host:6379'), 'redis://:***@host:6379')
  t.equal(redactedUrl('redis://host:6379/?password=pw'), 'redis://host:6379/?password=***')
})
