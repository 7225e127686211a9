/** Identities over HTTP and on the WebSocket upgrade, from one table of cases in embedded and in Redis mode. */
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { MODES, type RunningApp, TestClient } from '../helper.js'
import { API_KEY, SECRET, hsToken, unsignedToken } from './tokens.js'

const BOOKING = '1673254205340:2199:32925:en00030'
// real servers (Redis, a child process, a 10,000-request burst) on a 2-core machine other jobs share
t.setTimeout(300_000)
const SECURED = { API_KEYS: API_KEY, JWT_SECRET: SECRET }
const keyed = { authorization: `Bearer ${API_KEY}` }

async function post (url: string, topic: string, message: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/publish/${topic}`, { method: 'POST', body: message, headers: { 'content-type': 'text/plain', ...headers } })
}

/** Opens a socket and collects everything until the server closes it. */
async function refusedSocket (url: string, headers: Record<string, string> = {}): Promise<{ frames: any[], code: number }> {
  const socket = new WebSocket(url, { headers })
  const frames: any[] = []
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())))
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('close', (code) => resolve({ frames, code }))
  })
}

const BAD_TOKENS = [
  { name: 'expired', token: () => hsToken({ sub: 'u42', subscribe: ['>'] }, { expiresInSeconds: -5 }), says: /expired/ },
  { name: 'wrong signature', token: () => hsToken({ sub: 'u42', subscribe: ['>'] }, { secret: 'someone-elses-secret-of-32-characters!!' }), says: /signature/ },
  { name: 'alg none', token: () => unsignedToken({ sub: 'u42', subscribe: ['>'] }), says: /algorithm|not signed/ },
  { name: 'malformed', token: () => 'not-a-token', says: /malformed/ }
]

interface Scenario {
  name: string
  run: (t: Test, app: RunningApp) => Promise<void>
}

const scenarios: Scenario[] = [
  {
    name: 'a public board: anonymous visitors read, a backend publishes with its key, visitors cannot publish',
    run: async (t, { url, wsUrl }) => {
      const visitor = await TestClient.connect(t, wsUrl)
      await visitor.request({ action: 'subscribe', topic: 'booked' })
      t.equal((await post(url, 'booked', BOOKING, keyed)).status, 200, 'the backend publishes with its key')
      await visitor.waitFor((f) => f.action === 'publish')
      t.same(visitor.deliveries, [{ action: 'publish', topic: 'booked', message: BOOKING }], 'the visitor sees the booking')
      const forged = await post(url, 'booked', 'fake booking')
      t.equal(forged.status, 401, 'a visitor cannot publish over HTTP')
      t.match(await forged.json(), { statusCode: 401, code: 'PROXYER_UNAUTHORIZED', error: 'Unauthorized', message: /Credentials are needed to publish on topic "booked"/ })
      t.equal(forged.headers.get('www-authenticate'), 'Bearer')
      t.equal((await fetch(`${url}/topics/booked/history`)).status, 200, 'history of a topic anonymous visitors may read')
      t.equal((await fetch(`${url}/topics`)).status, 200, 'the topics listing, as anonymous visitors read every topic')
      const history = await (await fetch(`${url}/topics/booked/history`)).json() as { messages: Array<{ message: string }> }
      t.same(history.messages.map((m) => m.message), [BOOKING], 'the refused publish changed nothing')
    }
  },
  {
    name: 'a token limited to user.u42.* reads its own topics only',
    run: async (t, { url }) => {
      t.equal((await post(url, 'user.u42.inbox', 'mine', keyed)).status, 200)
      t.equal((await post(url, 'user.u43.x', 'not mine', keyed)).status, 200)
      const u42 = { authorization: `Bearer ${hsToken({ sub: 'u42', subscribe: ['user.u42.*'], publish: ['user.u42.outbox'] })}` }
      t.equal((await fetch(`${url}/topics/user.u42.inbox/history`, { headers: u42 })).status, 200)
      const refused = await fetch(`${url}/topics/user.u43.x/history`, { headers: u42 })
      t.equal(refused.status, 403)
      t.match(await refused.json(), { statusCode: 403, code: 'PROXYER_FORBIDDEN', error: 'Forbidden', message: 'The token of "u42" may not subscribe on topic "user.u43.x"' })
      t.equal((await fetch(`${url}/topics/user.u43.x`, { headers: u42 })).status, 403, 'nor its figures')
      t.equal((await fetch(`${url}/topics`, { headers: u42 })).status, 403, 'nor the listing of every topic')
      t.equal((await fetch(`${url}/cluster`, { headers: u42 })).status, 403, 'nor the cluster')
      t.equal((await post(url, 'user.u42.outbox', 'hi', u42)).status, 200, 'it publishes where it may')
      t.equal((await post(url, 'user.u43.x', 'hi', u42)).status, 403)
      t.equal((await fetch(`${url}/topics`, { headers: keyed })).status, 200, 'a key reads everything')
    }
  },
  {
    name: 'expired, wrongly signed, alg none and malformed tokens: 401 over HTTP, unauthorized and 4001 on the socket',
    run: async (t, { url, wsUrl }) => {
      for (const bad of BAD_TOKENS) {
        const token = bad.token()
        const response = await fetch(`${url}/topics/booked/history`, { headers: { authorization: `Bearer ${token}` } })
        t.equal(response.status, 401, `${bad.name}: 401`)
        t.match(await response.json(), { statusCode: 401, message: bad.says }, `${bad.name}: says why`)
        const viaQuery = await refusedSocket(`${wsUrl}?token=${encodeURIComponent(token)}`)
        t.same([viaQuery.code, viaQuery.frames.map((f) => f.code)], [4001, ['unauthorized']], `${bad.name} in ?token=: error frame, then 4001`)
        const viaHeader = await refusedSocket(wsUrl, { authorization: `Bearer ${token}` })
        t.equal(viaHeader.code, 4001, `${bad.name} in the Authorization header: 4001`)
      }
      t.equal((await fetch(`${url}/topics/booked`, { headers: { authorization: 'Bearer nope-not-a-key' } })).status, 401, 'an unknown key')
    }
  },
  {
    name: 'a valid token or key on the upgrade opens the socket',
    run: async (t, { wsUrl }) => {
      const token = hsToken({ sub: 'u42', subscribe: ['booked'] })
      const browser = await TestClient.connect(t, `${wsUrl}?token=${token}`)
      t.match(await browser.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed' })
      const backend = await TestClient.connect(t, wsUrl, { headers: keyed })
      t.match(await backend.request({ action: 'publish', topic: 'booked', message: BOOKING }), { action: 'published', subscribers: 1 })
      await browser.waitFor((f) => f.action === 'publish')
    }
  }
]

for (const mode of MODES) {
  for (const scenario of scenarios) {
    t.test(`${mode.name}: ${scenario.name}`, async (t) => scenario.run(t, await mode.start(t, SECURED)))
  }
}
