/** Access settings read from the environment: API keys and JWTs (HS256, RS256, ES256) turned into identities and permissions, and the reasons a credential is refused. */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AccessControl } from '../../src/access/access-control.js'
import { accessSettings } from '../../src/access/access-settings.js'
import { ApiKeys, keyFingerprint } from '../../src/access/api-keys.js'
import { AuthenticationError } from '../../src/access/identity.js'
import { algorithmOf } from '../../src/access/token-verifier.js'
import { loadConfig } from '../../src/config.js'
import { API_KEY, SECRET, hsToken, keyPair, unsignedToken } from './tokens.js'

function control (env: Record<string, string>): AccessControl {
  return new AccessControl(accessSettings(loadConfig(env)))
}

/** The AuthenticationError authenticate() throws, for the test to look at. */
function refusal (access: AccessControl, credential: string): AuthenticationError {
  try {
    access.authenticate(credential)
  } catch (err) {
    return err as AuthenticationError
  }
  throw new Error('the credential was accepted')
}

t.test('nothing configured: everyone may do everything, unlimited, credentials ignored', async (t) => {
  const access = control({})
  t.equal(access.secured, false)
  t.equal(access.rateLimit, undefined)
  const identity = access.authenticate('whatever')
  t.equal(identity.kind, 'anonymous')
  t.ok(identity.can('publish', 'booked'))
  t.ok(control({ RATE_LIMIT_PER_SECOND: '50' }).rateLimit, 'a limit set explicitly applies')
})

t.test('API keys: a key may do everything and is not rate limited; logs see its fingerprint only', async (t) => {
  const access = control({ API_KEYS: `${API_KEY}, second-key-0123456789` })
  t.equal(access.secured, true)
  t.same(access.rateLimit, { perSecond: 200, burst: 400 }, 'the default limit once an identity is configured')
  const identity = access.authenticate(API_KEY)
  t.same([identity.kind, identity.id, identity.rateLimit], ['key', keyFingerprint(API_KEY), undefined])
  t.notMatch(identity.id, API_KEY.slice(0, 6))
  t.ok(identity.can('publish', 'anything.at.all'))
  t.ok(access.isApiKey('second-key-0123456789'))
  t.notOk(access.isApiKey(undefined))
  t.match(refusal(access, 'not-a-key'), { reason: 'invalid', message: /not a known API key/ })
  const anonymous = access.authenticate(undefined)
  t.ok(anonymous.can('subscribe', 'booked'), 'anonymous clients read every topic by default')
  t.notOk(anonymous.can('publish', 'booked'), 'and publish nothing')
  t.equal(new ApiKeys([API_KEY]).match(`${API_KEY}x`), undefined)
  const board = control({ API_KEYS: API_KEY, ANONYMOUS: '{"subscribe":["board.*"],"publish":["board.chat"]}' }).anonymous
  t.same([board.can('subscribe', 'board.zoo'), board.can('subscribe', 'booked'), board.can('publish', 'board.chat')], [true, false, true], 'ANONYMOUS replaces the default')
})

t.test('HS256 tokens: claims become permissions; bad tokens are refused saying why', async (t) => {
  const access = control({ JWT_SECRET: SECRET, RATE_LIMIT_PER_SECOND: '10', RATE_LIMIT_BURST: '15' })
  const token = hsToken({ sub: 'u42', subscribe: ['booked', 'user.u42.*'], enqueue: ['bookings'] })
  const identity = access.authenticate(token)
  t.same([identity.kind, identity.id, identity.rateLimit], ['token', 'u42', { perSecond: 10, burst: 15 }])
  t.ok(identity.can('subscribe', 'user.u42.inbox'))
  t.notOk(identity.can('subscribe', 'user.u43.x'))
  t.ok(identity.can('enqueue', 'bookings'))
  t.ok(Math.abs((identity.expiresAt as number) - (Date.now() + 60_000)) < 2000, 'expiresAt is the token\'s exp, in ms')
  t.equal(access.authenticate(hsToken({ sub: 'u1', exp: undefined })).expiresAt, undefined, 'no exp: never expires')

  t.match(refusal(access, hsToken({ sub: 'u42' }, { expiresInSeconds: -10 })), { reason: 'expired', message: /expired/ })
  t.match(refusal(access, hsToken({ sub: 'u42', nbf: Math.floor(Date.now() / 1000) + 60 })), { reason: 'invalid', message: /not valid yet/ })
  t.match(refusal(access, hsToken({ sub: 'u42' }, { secret: 'another-secret-of-at-least-32-characters' })), { reason: 'invalid', message: /signature/ })
  t.match(refusal(access, unsignedToken({ sub: 'u42', subscribe: ['>'] })), { reason: 'invalid' })
  t.match(refusal(access, 'not.a.jwt'), { reason: 'invalid', message: /malformed/ })
  t.match(refusal(access, keyPair('ec').sign({ sub: 'u42' })), { reason: 'invalid', message: /algorithm/ }, 'another algorithm')
  t.match(refusal(access, hsToken({ subscribe: ['>'] })), { message: /claims do not fit: .*sub/ })
  t.match(refusal(access, hsToken({ sub: 'u42', subscribe: ['a.>.b'] })), { message: /"subscribe\/0"/ })
  t.match(refusal(access, API_KEY), { reason: 'invalid' }, 'no API keys configured')
})

t.test('RS256 and ES256 with JWT_PUBLIC_KEY, as the key itself or a file', async (t) => {
  const rsa = keyPair('rsa')
  const ec = keyPair('ec')
  const dir = t.testdir()
  writeFileSync(join(dir, 'ec.pem'), ec.publicPem)
  t.equal(control({ JWT_PUBLIC_KEY: rsa.publicPem }).authenticate(rsa.sign({ sub: 'r' })).id, 'r')
  t.equal(control({ JWT_PUBLIC_KEY: rsa.publicPem.replaceAll('\n', '\\n') }).authenticate(rsa.sign({ sub: 'r' })).id, 'r', 'line breaks written as \\n')
  t.equal(control({ JWT_PUBLIC_KEY: join(dir, 'ec.pem') }).authenticate(ec.sign({ sub: 'e' })).id, 'e')
  t.match(refusal(control({ JWT_PUBLIC_KEY: rsa.publicPem }), hsToken({ sub: 'x' }, { secret: rsa.publicPem })), { reason: 'invalid' }, 'no HS256 with the public key as secret')
})

t.test('a bad access setting stops the start with a sentence', async (t) => {
  t.throws(() => loadConfig({ ANONYMOUS: '{subscribe' }), /ANONYMOUS is not JSON/)
  t.throws(() => loadConfig({ API_KEYS: API_KEY, ANONYMOUS: '{"subscibe":[">"]}' }), /ANONYMOUS .*subscibe/)
  t.throws(() => loadConfig({ ANONYMOUS: '{"publish":["a.>.b"]}' }), /ANONYMOUS "publish\/0"/)
  t.throws(() => loadConfig({ ANONYMOUS: '["booked"]' }), /ANONYMOUS Expected object/)
  t.throws(() => loadConfig({ JWT_PUBLIC_KEY: '/nonexistent/key.pem' }), /JWT_PUBLIC_KEY is neither a PEM key nor a readable file: ENOENT/)
  t.throws(() => loadConfig({ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }), /JWT_PUBLIC_KEY is not a PEM public key/)
  t.throws(() => loadConfig({ JWT_SECRET: 'short' }), /JWT_SECRET must NOT have fewer than 32 characters/)
  t.throws(() => loadConfig({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY: keyPair('rsa').publicPem }), /not both/)
  t.throws(() => loadConfig({ API_KEYS: 'short' }), /API_KEYS: each key must be at least 16 characters/)
  t.throws(() => loadConfig({ ALLOWED_ORIGINS: 'https://zoo.example/' }), /ALLOWED_ORIGINS entry "https:\/\/zoo.example\/" is not an origin/)
  t.throws(() => loadConfig({ ALLOWED_ORIGINS: 'zoo' }), /ALLOWED_ORIGINS entry "zoo"/)
  t.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.1,proxy' }), /TRUST_PROXY entry "proxy"/)
  t.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.0/x' }), /TRUST_PROXY entry "10.0.0.0\/x"/)
  const { generateKeyPairSync } = await import('node:crypto')
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString()
  t.throws(() => loadConfig({ JWT_PUBLIC_KEY: ed }), /RSA key \(RS256\) or a P-256 EC key \(ES256\), not ed25519/)
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
  t.throws(() => loadConfig({ JWT_PUBLIC_KEY: p384 }), /not ec/)
  t.equal(algorithmOf({ secret: SECRET }), 'HS256')
})
