/** The HTTP figures and pages: /topics, /topics/:topic, /health, /ready, the live page and /client.js. */
import t from 'tap'
import { startApp, TestClient, getJson } from '../helper.js'

t.test('GET /topics and /topics/:topic show each live topic with its figures', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const a = await TestClient.connect(t, wsUrl)
  const b = await TestClient.connect(t, wsUrl)
  await a.request({ action: 'subscribe', topic: 'booked' })
  await b.request({ action: 'subscribe', topic: 'booked' })
  await b.request({ action: 'subscribe', topic: 'visits' })

  t.same((await getJson(`${url}/topics`)).topics, [
    { topic: 'booked', subscribers: 2, published: 0, delivered: 0, slowConsumers: 0, lastPublishedAt: null },
    { topic: 'visits', subscribers: 1, published: 0, delivered: 0, slowConsumers: 0, lastPublishedAt: null }
  ], 'subscribed topics, sorted by name, before any message')

  const before = Date.now()
  await a.request({ action: 'publish', topic: 'booked', message: 1 })
  await a.request({ action: 'publish', topic: 'booked', message: 2 })
  await a.request({ action: 'publish', topic: 'nobody-listens', message: 3 })

  const booked = await getJson(`${url}/topics/booked`)
  t.match(booked, { topic: 'booked', subscribers: 2, published: 2, delivered: 4 })
  t.ok(Date.parse(booked.lastPublishedAt) >= before - 1000, 'lastPublishedAt is an ISO time of the last message')
  t.match(await getJson(`${url}/topics/nobody-listens`), { subscribers: 0, published: 1, delivered: 0 }, 'a topic with messages but no subscribers is live')

  await b.request({ action: 'unsubscribe', topic: 'visits' })
  const gone = await fetch(`${url}/topics/visits`)
  t.equal(gone.status, 404, 'a topic with neither subscribers nor messages is not found')
  t.match(await gone.json(), { statusCode: 404, error: 'Not Found', message: /neither subscribers nor messages/ })

  const invalid = await fetch(`${url}/topics/not%20a%20topic`)
  t.equal(invalid.status, 400, 'an invalid topic name is a bad request')
})

t.test('GET /health and /ready', async (t) => {
  const { app, url } = await startApp(t)
  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200)
  t.same(await health.json(), { status: 'ok', connectionFaults: 0 })
  const ready = await fetch(`${url}/ready`)
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ready' })

  await app.proxyer.close()
  const closing = await fetch(`${url}/ready`)
  t.equal(closing.status, 503, 'not ready once the broker is closed')
  t.same(await closing.json(), { status: 'unavailable' })
})

t.test('GET / serves the live page', async (t) => {
  const { url } = await startApp(t)
  const page = await fetch(`${url}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /text\/html/)
})

t.test('GET /client.js serves the SDK as an ES module', async (t) => {
  const { url } = await startApp(t)
  const response = await fetch(`${url}/client.js`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /javascript/)
  t.match(await response.text(), /export class ProxyerClient/)
})
