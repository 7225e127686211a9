/** Topic names made only of dots, or with a dot at an end or doubled, are refused over the socket and HTTP; dotted names still work. */
import t from 'tap'
import { getJson, startApp, TestClient } from '../helper.js'

const refused = ['.', '..', '...', '.booked', 'booked.', 'zoo..booked']

t.test('refused names get invalid_topic on the socket and 400 over HTTP, and leave nothing behind', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)
  for (const topic of refused) {
    t.match(await client.request({ action: 'subscribe', topic }), { action: 'error', code: 'invalid_topic', error: /single dots/ }, `subscribe "${topic}"`)
    t.match(await client.request({ action: 'publish', topic, message: 1 }), { action: 'error', code: 'invalid_topic' }, `publish "${topic}"`)
  }
  // "." and ".." as a whole path segment are resolved away by every URL parser before they reach a route
  for (const topic of refused.filter((name) => /[^.]/.test(name))) {
    const reply = await fetch(`${url}/publish/${topic}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })
    t.equal(reply.status, 400, `POST /publish/${topic}`)
  }
  t.same((await getJson(`${url}/topics`)).topics, [], 'no topic was created')
  t.match(await client.request({ action: 'publish', topic: 'zoo.north.booked', message: 1 }), { action: 'published', offset: 1 }, 'dotted names are fine')
})
