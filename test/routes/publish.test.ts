/** POST /publish/:topic: text and JSON bodies reach subscribers; bad ones get a clear error and deliver nothing. */
import t from 'tap'
import { startApp, TestClient, getJson } from '../helper.js'

const BOOKING = '1673254205340:2199:32925:en00030'

async function post (url: string, body: string | Uint8Array, contentType?: string): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: contentType === undefined ? {} : { 'content-type': contentType } })
}

t.test('an HTTP publish reaches WebSocket subscribers, as text or JSON', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'subscribe', topic: 'booked' })

  const text = await post(`${url}/publish/booked`, BOOKING, 'text/plain')
  t.equal(text.status, 200)
  t.match(await text.json(), { topic: 'booked', subscribers: 1, offset: 1, epoch: String })
  const json = await post(`${url}/publish/booked`, JSON.stringify({ message: { visitor: 2199, ticket: 'en00030' } }), 'application/json')
  t.match(await json.json(), { topic: 'booked', subscribers: 1, offset: 2 })

  await client.waitFor((f) => typeof f.message === 'object')
  t.same(client.deliveries, [
    { action: 'publish', topic: 'booked', message: BOOKING },
    { action: 'publish', topic: 'booked', message: { visitor: 2199, ticket: 'en00030' } }
  ])
})

t.test('a topic of 128 characters, the longest allowed, is served', async (t) => {
  const { url } = await startApp(t)
  const response = await post(`${url}/publish/${'a'.repeat(128)}`, 'x', 'text/plain')
  t.equal(response.status, 200)
})

t.test('bad HTTP publishes get a clear error and deliver nothing', async (t) => {
  const { url, wsUrl } = await startApp(t, { MAX_MESSAGE_BYTES: 1024 })
  const client = await TestClient.connect(t, wsUrl)
  await client.request({ action: 'subscribe', topic: 'booked' })

  const cases: Array<[string, Promise<Response>, number, RegExp]> = [
    ['an invalid topic', post(`${url}/publish/zoo%20tickets`, '{"message":1}', 'application/json'), 400, /params\/topic/],
    ['a topic of 129 characters', post(`${url}/publish/${'a'.repeat(129)}`, 'x', 'text/plain'), 400, /params\/topic/],
    ['a JSON body without message', post(`${url}/publish/booked`, '{"msg":1}', 'application/json'), 400, /message/],
    ['a JSON body that is not an object', post(`${url}/publish/booked`, '"hello"', 'application/json'), 400, /object/],
    ['bad JSON', post(`${url}/publish/booked`, '{"message":', 'application/json'), 400, /JSON/],
    ['an empty text body', post(`${url}/publish/booked`, '', 'text/plain'), 400, /body/],
    ['a body over MAX_MESSAGE_BYTES', post(`${url}/publish/booked`, 'x'.repeat(2000), 'text/plain'), 413, /too large/],
    ['another content type', post(`${url}/publish/booked`, '<booking/>', 'application/xml'), 415, /^Unsupported Media Type "application\/xml": send application\/json or text\/plain$/],
    ['no content type', post(`${url}/publish/booked`, Buffer.from('x')), 415, /Unsupported Media Type "": send application\/json or text\/plain/],
    ['no body at all', fetch(`${url}/publish/booked`, { method: 'POST' }), 400, /^No message in the request: send a body as application\/json or text\/plain$/]
  ]
  for (const [name, pending, status, message] of cases) {
    const response = await pending
    t.equal(response.status, status, `${name}: ${status}`)
    const body = await response.json()
    t.match(body, { statusCode: status, error: String, message }, `${name}: Fastify's error shape, saying why`)
  }
  await client.sync()
  t.same(client.deliveries, [], 'nothing was delivered')
  const stats = await getJson(`${url}/topics/booked`)
  t.equal(stats.published, 0, 'nothing was counted as published')
})
