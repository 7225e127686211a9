/** Access control on the socket: permissions per request, the auth frame, token expiry and its grace, the token bucket and MAX_TOPICS, in embedded and Redis mode from one table. */
import t, { type Test } from 'tap'
import { type Env, MODES, type RunningApp, TestClient } from '../helper.js'
import { ManualClock } from '../manual-clock.js'
import { burst, countBy, publishes } from './bursts.js'
import { API_KEY, SECRET, hsToken, unsignedToken } from './tokens.js'

// real servers (Redis, 1,000-message bursts) on a 2-core machine other jobs share
t.setTimeout(300_000)

type Start = (env?: Env, clock?: ManualClock) => Promise<RunningApp>

const SECURED: Env = { API_KEYS: API_KEY, JWT_SECRET: SECRET }
const keyed = { headers: { authorization: `Bearer ${API_KEY}` } }

const BAD_TOKENS = [
  { name: 'expired', token: () => hsToken({ sub: 'u42', subscribe: ['>'] }, { expiresInSeconds: -5 }), says: /expired/ },
  { name: 'wrong signature', token: () => hsToken({ sub: 'u42', subscribe: ['>'] }, { secret: 'someone-elses-secret-of-32-characters!!' }), says: /signature/ },
  { name: 'alg none', token: () => unsignedToken({ sub: 'u42', subscribe: ['>'] }), says: /algorithm|not signed/ },
  { name: 'malformed', token: () => 'not-a-token', says: /malformed/ }
]

const scenarios: Array<{ name: string, run: (t: Test, start: Start) => Promise<void> }> = [
  {
    name: 'work queues: enqueue and consume need their grants; a refusal queues nothing and the connection stays',
    run: async (t, start) => {
      const { wsUrl } = await start(SECURED)
      const visitor = await TestClient.connect(t, wsUrl)
      t.match(await visitor.request({ action: 'enqueue', queue: 'bookings', message: 'free ticket' }),
        { action: 'error', code: 'forbidden', error: /A token is needed to enqueue on "bookings"/ })
      const reader = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u42', subscribe: ['>'] })}`)
      t.match(await reader.request({ action: 'consume', queue: 'bookings', prefetch: 1 }),
        { action: 'error', code: 'forbidden', error: /The token of "u42" may not consume on "bookings"/ })
      const booker = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u7', enqueue: ['bookings'], consume: ['bookings'] })}`)
      const { job } = await booker.request({ action: 'enqueue', queue: 'bookings', message: 'real ticket' })
      t.match(await booker.request({ action: 'consume', queue: 'bookings', prefetch: 5 }), { action: 'consuming' })
      await booker.waitFor((f) => f.action === 'job' && f.job === job)
      await booker.sync()
      t.same(booker.frames.filter((f) => f.action === 'job').map((f) => f.message), ['real ticket'], 'the refused enqueue queued nothing')
      t.match(await visitor.request({ action: 'ping' }), { action: 'pong' }, 'the refused connection is still open')
      t.match(await reader.request({ action: 'watch', queue: 'bookings', job }),
        { action: 'error', code: 'forbidden', error: /may not enqueue on "bookings"/ }, 'watching a job needs what queuing it needs')
      const other = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u8', enqueue: ['bookings'] })}`)
      t.match(await other.request({ action: 'watch', queue: 'bookings', job }), { action: 'position', job }, 'one who may enqueue there may watch')
    }
  },
  {
    name: 'a public board: anonymous visitors read but cannot publish, a backend publishes over its socket with its key',
    run: async (t, start) => {
      const { url, wsUrl } = await start(SECURED)
      const visitor = await TestClient.connect(t, wsUrl)
      t.match(await visitor.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed' })
      t.match(await visitor.request({ action: 'publish', topic: 'booked', message: 'fake booking' }),
        { action: 'error', code: 'forbidden', error: /A token is needed to publish on "booked"/ })
      const backend = await TestClient.connect(t, wsUrl, keyed)
      t.match(await backend.request({ action: 'publish', topic: 'booked', message: 'real booking' }), { action: 'published', subscribers: 1 })
      await visitor.waitFor((f) => f.action === 'publish')
      t.match(await visitor.request({ action: 'ping' }), { action: 'pong' }, 'the refused visitor is still connected')
      t.same(visitor.deliveries.map((f) => f.message), ['real booking'], 'only the backend\'s booking is delivered')
      const history = await (await fetch(`${url}/topics/booked/history`)).json() as { messages: Array<{ message: string }> }
      t.same(history.messages.map((m) => m.message), ['real booking'], 'the refused publish left nothing in the history')
    }
  },
  {
    name: 'a token for user.u42.* is refused user.u43.x on subscribe and publish, leaves nothing behind and stays connected',
    run: async (t, start) => {
      const { url, wsUrl } = await start(SECURED)
      const token = hsToken({ sub: 'u42', subscribe: ['user.u42.*'], publish: ['user.u42.*'] })
      const u42 = await TestClient.connect(t, `${wsUrl}?token=${token}`)
      t.match(await u42.request({ action: 'subscribe', topic: 'user.u43.x' }),
        { action: 'error', code: 'forbidden', error: 'The token of "u42" may not subscribe on "user.u43.x"', id: String })
      t.match(await u42.request({ action: 'publish', topic: 'user.u43.x', message: 'spoof' }), { action: 'error', code: 'forbidden' })
      t.match(await u42.request({ action: 'subscribe', topic: 'user.u42.inbox' }), { action: 'subscribed' }, 'its own topics work on the same connection')
      t.match(await u42.request({ action: 'publish', topic: 'user.u42.inbox', message: 'mine' }), { action: 'published', subscribers: 1 })
      const backend = await TestClient.connect(t, wsUrl, keyed)
      t.match(await backend.request({ action: 'publish', topic: 'user.u43.x', message: 'private' }), { action: 'published', subscribers: 0 },
        'the refused subscribe left no subscription')
      await u42.sync()
      t.same(u42.deliveries.map((f) => f.message), ['mine'], 'u43\'s message never reached u42')
      const figures = await (await fetch(`${url}/topics/user.u43.x`, keyed)).json() as { published: number }
      t.equal(figures.published, 1, 'only the backend\'s message counts on user.u43.x')
    }
  },
  {
    name: 'the auth frame: first on an anonymous connection it applies to the requests right behind it; a bad one ends the connection',
    run: async (t, start) => {
      const { wsUrl } = await start(SECURED, new ManualClock())
      const client = await TestClient.connect(t, wsUrl)
      client.send({ action: 'auth', token: hsToken({ sub: 'u42', publish: ['booked'] }), id: 'a' })
      client.send({ action: 'publish', topic: 'booked', message: 1, id: 'p' })
      await client.waitFor((f) => f.id === 'p')
      t.same(client.frames.map((f) => [f.action, f.id]), [['authenticated', 'a'], ['published', 'p']], 'the publish sent right behind it is the token\'s')

      const backend = await TestClient.connect(t, wsUrl)
      t.match(await backend.request({ action: 'auth', token: API_KEY }), { action: 'authenticated' }, 'an API key in an auth frame')
      backend.frames.length = 0
      t.same(countBy(await burst(t, backend, publishes(500, 'booked'))), { published: 500 }, 'makes the connection unlimited')
      backend.frames.length = 0
      t.match(await backend.request({ action: 'auth', token: hsToken({ sub: 'u42', publish: ['booked'] }) }), { action: 'authenticated' })
      backend.frames.length = 0
      t.same(countBy(await burst(t, backend, publishes(500, 'booked'))), { published: 400, rate_limited: 100 }, 'and a token limited again, from a full bucket')
      for (const bad of BAD_TOKENS) {
        const victim = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u42', subscribe: ['>'] })}`)
        const closed = victim.closed()
        victim.send({ action: 'auth', token: bad.token(), id: 'bad' })
        t.same(await closed, { code: 4001, reason: 'unauthorized' }, `${bad.name}: closed with 4001`)
        t.match(victim.frames, [{ action: 'error', code: 'unauthorized', id: 'bad', error: bad.says }], `${bad.name}: after an unauthorized frame saying why`)
      }
    }
  },
  {
    name: 'token refresh on a live connection, then expiry: token_expired, the grace, and 4001',
    run: async (t, start) => {
      const clock = new ManualClock()
      const { url, wsUrl } = await start({ ...SECURED, TOKEN_GRACE_MS: 30_000 }, clock)
      // tokens count from the manual clock: from the real time, the seconds the app took to start on a loaded
      // machine put the second token's expiry past where the clock is moved (a flake at a load of 20)
      const client = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u42', subscribe: ['booked'] }, { expiresInSeconds: 60, now: clock.now() })}`)
      await client.request({ action: 'subscribe', topic: 'booked' })
      t.match(await client.request({ action: 'publish', topic: 'booked', message: 0 }), { code: 'forbidden' }, 'the first token may not publish')
      clock.advance(50_000)
      const fresh = hsToken({ sub: 'u42', subscribe: ['booked'], publish: ['booked'] }, { expiresInSeconds: 120, now: clock.now() })
      const reply = await client.request({ action: 'auth', token: fresh })
      t.same(reply, { action: 'authenticated', id: reply.id }, 'answered with the request\'s id')
      t.match(await client.request({ action: 'publish', topic: 'booked', message: 1 }), { action: 'published' }, 'the new token\'s grants apply')
      clock.advance(20_000) // past the first token's expiry
      await client.sync()
      t.notOk(client.frames.some((f) => f.code === 'token_expired'), 'the first token\'s expiry was called off by the refresh')

      clock.advance(101_000) // past the second token's
      t.match(await client.waitFor((f) => f.code === 'token_expired'), { action: 'error', code: 'token_expired', error: /within 30000 ms/ })
      t.match(await client.request({ action: 'publish', topic: 'booked', message: 2 }), { code: 'forbidden' }, 'an expired token allows nothing more than no token')
      await fetch(`${url}/publish/booked`, { method: 'POST', body: 'during the grace', headers: { 'content-type': 'text/plain', ...keyed.headers } })
      await client.waitFor((f) => f.message === 'during the grace')
      t.pass('its subscription still delivers during the grace')
      const closed = client.closed()
      clock.advance(30_000)
      t.same(await closed, { code: 4001, reason: 'token expired' }, 'closed with 4001 once the grace is over')
    }
  },
  {
    name: 'a refreshed token that grants less: the subscriptions it does not allow are left, each told (unsubscribed, forbidden), the rest stay',
    run: async (t, start) => {
      const { url, wsUrl } = await start(SECURED)
      const client = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u42', subscribe: ['booked', 'paid', 'zoo.>'] })}`)
      for (const topic of ['booked', 'paid', 'zoo.*']) t.match(await client.request({ action: 'subscribe', topic }), { action: 'subscribed' })
      const reply = await client.request({ action: 'auth', token: hsToken({ sub: 'u42', subscribe: ['paid'] }) })
      t.match(reply, { action: 'authenticated' })
      const told = client.frames.filter((f) => f.action === 'unsubscribed' && f.id === undefined)
      t.same(told, ['booked', 'zoo.*'].map((topic) => ({ action: 'unsubscribed', topic, code: 'forbidden', error: `The token of "u42" may not subscribe on "${topic}"` })))
      t.ok(client.frames.indexOf(told[1]) < client.frames.indexOf(reply), 'told before the auth is answered')
      for (const topic of ['booked', 'zoo.north', 'paid']) {
        const posted = await fetch(`${url}/publish/${topic}`, { method: 'POST', body: topic, headers: { 'content-type': 'text/plain', ...keyed.headers } })
        t.equal(posted.status, 200)
      }
      await client.waitFor((f) => f.message === 'paid')
      t.same(client.published.map((f) => f.topic), ['paid'], 'only the topic the new token allows still delivers')
      t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'error', code: 'forbidden' }, 'nor can it be subscribed again')
      t.match(await client.request({ action: 'auth', token: hsToken({ sub: 'u42', subscribe: ['paid'] }) }), { action: 'authenticated' })
      t.equal(client.frames.filter((f) => f.action === 'unsubscribed').length, 2, 'a refresh granting as much leaves nothing')
    }
  },
  {
    name: 'a new token sent within the grace keeps the connection',
    run: async (t, start) => {
      const clock = new ManualClock()
      const { wsUrl } = await start({ ...SECURED, TOKEN_GRACE_MS: 30_000 }, clock)
      // the token counts from the manual clock (see above), and its 60 s leave the real time that fast-jwt checks
      // it against room for a slow start
      const client = await TestClient.connect(t, `${wsUrl}?token=${hsToken({ sub: 'u42', subscribe: ['booked'] }, { expiresInSeconds: 60, now: clock.now() })}`)
      // the server sets the token's expiry timer once it has set the connection up, a moment after the client
      // sees it open: the clock moves on after that
      await client.sync()
      clock.advance(61_000)
      await client.waitFor((f) => f.code === 'token_expired')
      clock.advance(20_000)
      t.match(await client.request({ action: 'auth', token: hsToken({ sub: 'u42', subscribe: ['booked'] }, { expiresInSeconds: 3600, now: clock.now() }) }), { action: 'authenticated' })
      clock.advance(60_000)
      t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed' }, 'open and served past the old grace')
    }
  },
  {
    name: 'an anonymous socket sending 1,000 publishes at once gets 1,000 answers: the burst published, the rest rate_limited',
    run: async (t, start) => {
      const clock = new ManualClock()
      const { wsUrl } = await start({ ...SECURED, ANONYMOUS: '{"subscribe":[">"],"publish":["board.>"]}' }, clock)
      const watcher = await TestClient.connect(t, wsUrl, keyed)
      await watcher.request({ action: 'subscribe', topic: 'board.wall' })
      const flooder = await TestClient.connect(t, wsUrl)
      const answers = await burst(t, flooder, publishes(1000, 'board.wall'))
      t.equal(answers.size, 1000, 'every request answered')
      t.same(countBy(answers), { published: 400, rate_limited: 600 }, 'RATE_LIMIT_BURST (twice the default 200 a second) at once, the rest refused')
      t.match([...answers.values()].find((a) => a.code === 'rate_limited'), { error: /at most 200 a second \(400 at once\)/ })
      clock.advance(1000)
      t.match(await flooder.request({ action: 'ping' }), { action: 'pong' }, 'a second later it is served again: never cut off')
      await watcher.sync()
      t.equal(watcher.published.length, 400, 'exactly the published ones are delivered')
    }
  },
  {
    name: 'MAX_TOPICS: a publish creating one topic too many is refused, too_many_topics on the socket and 429 over HTTP',
    run: async (t, start) => {
      const { url, wsUrl } = await start({ ...SECURED, MAX_TOPICS: 2 })
      const backend = await TestClient.connect(t, wsUrl, keyed)
      await backend.request({ action: 'publish', topic: 'a', message: 1 })
      await backend.request({ action: 'publish', topic: 'b', message: 1 })
      t.match(await backend.request({ action: 'publish', topic: 'c', message: 1 }), { action: 'error', code: 'too_many_topics', error: /2 topics \(MAX_TOPICS\)/ })
      const refused = await fetch(`${url}/publish/c`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', ...keyed.headers } })
      t.equal(refused.status, 429)
      t.match(await refused.json(), { statusCode: 429, code: 'PROXYER_TOO_MANY_TOPICS', error: 'Too Many Requests' })
      t.match(await backend.request({ action: 'publish', topic: 'a', message: 2 }), { action: 'published', offset: 2 }, 'existing topics take messages')
      const listing = await (await fetch(`${url}/topics`, keyed)).json() as { topics: Array<{ topic: string }> }
      t.same(listing.topics.map((s) => s.topic).sort(), ['a', 'b'], 'the refused topic was not created')
    }
  },
  {
    name: 'nothing configured: open as before, the browser console publishes anywhere, no request rate limit',
    run: async (t, start) => {
      const { wsUrl } = await start()
      const board = await TestClient.connect(t, wsUrl)
      await board.request({ action: 'subscribe', topic: 'booked' })
      const console = await TestClient.connect(t, wsUrl, { headers: { authorization: 'Bearer ignored-when-open' } })
      const answers = await burst(t, console, publishes(1000, 'booked'))
      t.same(countBy(answers), { published: 1000 }, 'a 1,000-publish burst is all taken')
      t.match(await console.request({ action: 'auth', token: 'anything' }), { action: 'authenticated' }, 'credentials are ignored')
      await board.waitFor((f) => f.message === 999)
      t.pass('the board sees every message')
    }
  }
]

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => scenario.run(t, async (env, clock) => mode.start(t, env, { clock })))
  }
}
