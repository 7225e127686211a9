/** The SDK's getToken(): a token on every connect, a new one sent before `exp` on the live connection, a refused one replaced on reconnect. */
import t from 'tap'
import WebSocket from 'ws'
import { ProxyerClient, type ProxyerError } from '../../client/proxyer-client.js'
import { settle, startApp } from '../helper.js'
import { API_KEY, SECRET, hsToken } from '../access/tokens.js'

const SECURED = { API_KEYS: API_KEY, JWT_SECRET: SECRET }

async function waitUntil (check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await settle(20)
  }
}

async function keyedPublish (url: string, topic: string, message: string): Promise<number> {
  const response = await fetch(`${url}/publish/${topic}`, { method: 'POST', body: message, headers: { 'content-type': 'text/plain', authorization: `Bearer ${API_KEY}` } })
  return response.status
}

t.test('a token that lives 3 s is replaced on the live connection before it expires, again and again', async (t) => {
  const { url, wsUrl } = await startApp(t, { ...SECURED, TOKEN_GRACE_MS: 100 })
  const issued: string[] = []
  const client = new ProxyerClient(wsUrl, {
    WebSocket,
    tokenRefreshMarginMs: 2000,
    // async, as a fetch to the app's backend would be
    getToken: async () => {
      const token = hsToken({ sub: 'u42', subscribe: ['user.u42.*'] }, { expiresInSeconds: 3 })
      issued.push(token)
      return token
    }
  })
  t.teardown(() => client.close())
  const errors: ProxyerError[] = []
  const states: string[] = []
  client.on('error', (err) => errors.push(err))
  client.on('state', (state) => states.push(state))
  const messages: unknown[] = []
  client.on('message', ({ message }) => messages.push(message))
  await client.subscribe('user.u42.inbox')
  await waitUntil(() => issued.length >= 4, 'three refreshes')
  t.equal(await keyedPublish(url, 'user.u42.inbox', 'still here'), 200)
  await waitUntil(() => messages.length === 1, 'the message arrives')
  t.same(states, ['connecting', 'connected'], 'one connection throughout, never closed for an expired token')
  t.same(errors, [], 'no token_expired, no unauthorized')
  await t.rejects(client.subscribe('user.u43.x'), { code: 'forbidden' }, 'the token\'s grants still apply')
})

t.test('a token the server refuses (4001) is replaced by a new one on reconnect; a getToken() that throws is reported and tried again', async (t) => {
  const { wsUrl } = await startApp(t, SECURED)
  const tokens = [
    () => { throw new Error('backend down') },
    () => 'not-a-token',
    () => hsToken({ sub: 'u42', subscribe: ['booked'] }, { expiresInSeconds: 3600 })
  ]
  let calls = 0
  const client = new ProxyerClient(`${wsUrl}?v=1`, { WebSocket, backoff: () => 10, getToken: () => (tokens[Math.min(calls++, 2)] as () => string)() })
  t.teardown(() => client.close())
  const errors: string[] = []
  client.on('error', (err) => errors.push(err.code))
  t.match(await client.subscribe('booked'), { offset: 0 }, 'subscribed with the third token')
  t.same(errors, ['token_failed', 'unauthorized', 'unauthorized'], 'the throw, then the refused token\'s error frame and its 4001')
  t.equal(calls, 3, 'a token asked for on each connect')
})
