/** Deeply nested JSON is refused before it is parsed, over the socket and HTTP alike, and costs other clients nothing. */
import t from 'tap'
import { startApp, TestClient } from '../helper.js'

const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels)

t.test('HTTP: a body nested 20,000 deep (within the size limit) answers 400 with a sentence, not a 500 with internal text', async (t) => {
  const { url } = await startApp(t)
  const reply = await fetch(`${url}/publish/booked`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"message":${deep(20_000)}}`
  })
  t.equal(reply.status, 400)
  const body = await reply.json()
  t.match(body, { statusCode: 400, code: 'PROXYER_INVALID_REQUEST', message: /deeper than 64 levels/ })
  t.notMatch(JSON.stringify(body), /stack|Maximum call/, 'no internal error text')
  t.equal((await fetch(`${url}/topics/booked`)).status, 404, 'nothing was published')
  const fine = await fetch(`${url}/publish/booked`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"message":${deep(60)}}` })
  t.equal(fine.status, 200, 'a message nested 61 levels in all is within the limit')
})

t.test('socket: a frame nested deeper than 64 gets invalid_request; the connection goes on', async (t) => {
  const { wsUrl } = await startApp(t)
  const client = await TestClient.connect(t, wsUrl)
  client.send(`{"action":"publish","topic":"booked","id":"deep","message":${deep(20_000)}}`)
  t.match(await client.waitFor((f) => f.action === 'error'), { action: 'error', code: 'invalid_request', error: /deeper than 64/ })
  t.match(await client.request({ action: 'publish', topic: 'booked', message: JSON.parse(deep(60)) }), { action: 'published', offset: 1 },
    'the refused frame published nothing, and the next request is served')
})
