/** The SDK's getToken(): a token on every connect, a new one sent before `exp` on the live connection, a refused one replaced on reconnect. */
import t from 'tap'
import WebSocket from 'ws'
import { ProxyerClient, type ProxyerError } from '../../client/proxyer-client.js'
import { eventually, startApp } from '../helper.js'
import { ManualClock } from '../manual-clock.js'
import { API_KEY, SECRET, hsToken } from '../access/tokens.js'

// real servers on a 2-core machine other jobs share: past 120 s measured under a load of 20
t.setTimeout(300_000)

const SECURED = { API_KEYS: API_KEY, JWT_SECRET: SECRET }

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
  await eventually(() => issued.length >= 4, 'three refreshes', 15_000)
  t.equal(await keyedPublish(url, 'user.u42.inbox', 'still here'), 200)
  await eventually(() => messages.length === 1, 'the message arrives')
  t.same(states, ['connecting', 'connected'], 'one connection throughout, never closed for an expired token')
  t.same(errors, [], 'no token_expired, no unauthorized')
  await t.rejects(client.subscribe('user.u43.x'), { code: 'forbidden' }, 'the token\'s grants still apply')
})

t.test('a token the server refuses (4001) is replaced by a new one on reconnect; a getToken() that throws is reported and tried again', async (t) => {
  const { wsUrl } = await startApp(t, SECURED)
  const tokens = [
    () => { throw new Error('backend down') },
    () => 'not-a-token',
    // a token without exp is never refreshed
    () => hsToken({ sub: 'u42', subscribe: ['booked'], exp: undefined })
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

t.test('token_expired from the server: a new token is sent at once; a getToken() failing then is reported, and after the grace the reconnect asks again', async (t) => {
  const clock = new ManualClock()
  const { wsUrl } = await startApp(t, { ...SECURED, TOKEN_GRACE_MS: 30_000 }, { clock })
  let calls = 0
  const getToken = (): string => {
    if (++calls === 3) throw new Error('backend down')
    // an hour on the test's clock, which runs ahead of the real one
    return hsToken({ sub: 'u42', subscribe: ['booked'], exp: Math.floor(clock.now() / 1000) + 3600 })
  }
  const client = new ProxyerClient(wsUrl, { WebSocket, backoff: () => 10, getToken })
  t.teardown(() => client.close())
  const errors: string[] = []
  const states: string[] = []
  client.on('error', (err) => errors.push(err.code))
  client.on('state', (state) => states.push(state))
  await client.subscribe('booked')
  clock.advance(3_601_000)
  await eventually(() => calls === 2 && errors.length === 1, 'a new token asked for and sent')
  t.same(errors, ['token_expired'], 'the server said the token expired')
  // a round trip behind the auth frame: the server has taken the new token
  await t.rejects(client.publish('booked', 1), { code: 'forbidden' })
  clock.advance(29_000)
  await t.rejects(client.publish('booked', 1), { code: 'forbidden' }, 'the new token kept the connection past the grace')
  clock.advance(3_575_000) // past the new token's exp (3,600 s after the first's), within its grace
  await eventually(() => errors.length === 3, 'the failing getToken() reported')
  t.same(errors.slice(1), ['token_expired', 'token_failed'])
  clock.advance(30_000)
  await eventually(() => states.length === 4, 'reconnected')
  t.same(states, ['connecting', 'connected', 'reconnecting', 'connected'], 'closed after the grace, and connected again with a new token')
  t.same(errors.slice(3), ['unauthorized'], 'the 4001 is reported')
  t.equal(calls, 4)
})

t.test('a client closed while getToken() runs does not connect', async (t) => {
  const { wsUrl } = await startApp(t, SECURED)
  for (const outcome of ['resolves', 'rejects']) {
    let answer = (): void => {}
    let asked = (): void => {}
    const askedFor = new Promise<void>((resolve) => { asked = resolve })
    const client = new ProxyerClient(wsUrl, {
      WebSocket,
      getToken: async () => new Promise<string>((resolve, reject) => {
        answer = () => outcome === 'resolves' ? resolve('late') : reject(new Error('late'))
        asked()
      })
    })
    const errors: unknown[] = []
    client.on('error', (err) => errors.push(err))
    await askedFor
    client.close()
    answer()
    // the answer is handled in promise callbacks, all run before the event loop's next turn
    await new Promise((resolve) => setImmediate(resolve))
    t.same([client.state, errors], ['closed', []], `getToken() that ${outcome} after close(): nothing happens`)
  }
})

t.test('a refreshed token that no longer allows a topic: the server leaves it, and the SDK marks it failed with forbidden and does not ask again', async (t) => {
  const { url, wsUrl } = await startApp(t, { ...SECURED, TOKEN_GRACE_MS: 100 })
  const grants = [['user.u42.inbox', 'user.u42.news'], ['user.u42.inbox']]
  let calls = 0
  const client = new ProxyerClient(wsUrl, {
    WebSocket,
    tokenRefreshMarginMs: 2000,
    getToken: () => hsToken({ sub: 'u42', subscribe: grants[Math.min(calls++, 1)] }, { expiresInSeconds: 3 })
  })
  t.teardown(() => client.close())
  const errors: ProxyerError[] = []
  client.on('error', (err) => errors.push(err))
  const failed: unknown[] = []
  client.on('subscription', (event) => { if (event.state === 'failed') failed.push(event) })
  const messages: unknown[] = []
  client.on('message', ({ message }) => messages.push(message))
  await client.subscribe('user.u42.inbox')
  await client.subscribe('user.u42.news')
  await eventually(() => errors.length > 0, 'the news subscription is left at the refresh')
  t.match(errors, [{ code: 'forbidden', topic: 'user.u42.news', message: /may not subscribe on "user.u42.news"/ }])
  t.match(failed, [{ topic: 'user.u42.news', state: 'failed', error: { code: 'forbidden' } }])
  t.equal(client.subscriptionState('user.u42.news'), undefined, 'forgotten: not asked for again')
  t.equal(client.subscriptionState('user.u42.inbox'), 'active')
  t.equal(await keyedPublish(url, 'user.u42.news', 'not for you'), 200)
  t.equal(await keyedPublish(url, 'user.u42.inbox', 'still yours'), 200)
  await eventually(() => messages.includes('still yours'), 'the allowed topic still delivers')
  t.same(messages, ['still yours'])
})
