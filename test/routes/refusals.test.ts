/** Edges of the HTTP shell a user still meets: an unexpected fault is a plain 500, HEAD polls, repeated tokens, limits that leave plain HTTP alone. */
import t from 'tap'
import WebSocket from 'ws'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { startApp } from '../helper.js'

t.test('a fault in a handler answers 500 with a plain sentence, never its internal text', async (t) => {
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }))
  // a route of the test's own that fails as a bug would, on the real app and server
  app.get('/fault', async () => { throw new Error('secret internal detail') })
  t.teardown(() => app.close())
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const reply = await fetch(`${address}/fault`)
  t.equal(reply.status, 500)
  const body = await reply.text()
  t.same(JSON.parse(body), { statusCode: 500, code: 'PROXYER_INTERNAL', error: 'Internal Server Error', message: 'The server could not handle this request' })
  t.notMatch(body, /secret internal detail/, 'no internal text in the reply')
})

t.test('HEAD of a polled route is served; connection limits leave plain HTTP requests alone', async (t) => {
  const { url } = await startApp(t, { MAX_CONNECTIONS: 1, MAX_CONNECTIONS_PER_IP: 1 })
  t.equal((await fetch(`${url}/health`, { method: 'HEAD' })).status, 200)
  const both = await Promise.all([fetch(`${url}/health`), fetch(`${url}/ready`)])
  t.same(both.map((r) => r.status), [200, 200], 'two HTTP requests at once, past both caps, which count WebSockets only')
})

t.test('a token given twice on the upgrade URL is no token: refused with 4001', async (t) => {
  const { wsUrl } = await startApp(t, { JWT_SECRET: 's'.repeat(32) })
  const socket = new WebSocket(`${wsUrl}?token=a&token=b`)
  t.teardown(() => socket.terminate())
  const frames: string[] = []
  socket.on('message', (data) => frames.push(data.toString()))
  const [code] = await new Promise<[number]>((resolve) => socket.once('close', (closeCode) => resolve([closeCode])))
  t.equal(code, 4001)
  t.match(JSON.parse(frames[0]), { action: 'error', code: 'unauthorized' })
})
