/** Idle and half-sent HTTP requests are reaped by timeouts, so they cannot hold every descriptor; WebSockets are not cut by them. */
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import t from 'tap'
import { startApp, TestClient } from '../helper.js'

const TIMEOUTS = { HTTP_REQUEST_TIMEOUT_MS: 600, HTTP_HEADERS_TIMEOUT_MS: 300 }

/** A client that sends a POST's headers and two bytes of its body, then nothing. */
async function halfSentPost (port: number): Promise<{ socket: Socket, closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1')
  const closed = once(socket, 'close')
  await once(socket, 'connect')
  socket.on('error', () => {}) // the server may reset it; its close is what the test waits for
  socket.resume() // read the server's 408, or 'close' never comes
  socket.write('POST /publish/booked HTTP/1.1\r\nHost: proxyer\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nab')
  return { socket, closed }
}

t.test('half-sent POSTs are closed by the request timeout while new clients are served', async (t) => {
  const { url, wsUrl } = await startApp(t, TIMEOUTS)
  const port = Number(new URL(url).port)
  const websocket = await TestClient.connect(t, wsUrl)
  const stalled = await Promise.all(Array.from({ length: 200 }, async () => halfSentPost(port)))
  t.teardown(() => { for (const { socket } of stalled) socket.destroy() })

  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200, 'a new client is served while 200 requests stall')
  await Promise.all(stalled.map(async ({ closed }) => closed))
  t.pass('every stalled request was closed by the server')
  const published = await fetch(`${url}/topics/booked`)
  t.equal(published.status, 404, 'and none of them published anything')

  t.same(await websocket.request({ action: 'ping' }), { action: 'pong', id: websocket.frames[0].id }, 'a WebSocket older than the timeout stays open')
})

t.test('past MAX_SOCKETS new sockets are closed at once, and served again once the stalled ones are reaped', async (t) => {
  // a wide timeout, so the refused request surely comes while the stalled ones still hold their sockets
  const { url } = await startApp(t, { HTTP_REQUEST_TIMEOUT_MS: 3000, HTTP_HEADERS_TIMEOUT_MS: 3000, MAX_SOCKETS: 20 })
  const port = Number(new URL(url).port)
  const stalled = await Promise.all(Array.from({ length: 20 }, async () => halfSentPost(port)))
  t.teardown(() => { for (const { socket } of stalled) socket.destroy() })
  await t.rejects(fetch(`${url}/health`), 'the 21st socket is closed without an answer')
  await Promise.all(stalled.map(async ({ closed }) => closed))
  t.equal((await fetch(`${url}/health`)).status, 200, 'served again once the stalled requests timed out')
})
