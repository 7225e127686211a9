/**
 * One subscriber on the real client library (ws for proxyer's protocol and Nchan, socket.io-client for Socket.IO)
 * that parses every message it gets: it checks the order of the sequence numbers and measures latency
 * from the send time inside, as a cross-check on the frame-counting clients.
 */
import { performance } from 'node:perf_hooks'
import { once } from 'node:events'
import WebSocket from 'ws'
import { io } from 'socket.io-client'

export async function openProbe ({ server, endpoint, topic, counter }) {
  const probe = {
    received: 0,
    outOfOrder: 0,
    latencies: [],
    close: () => {}
  }
  let lastSeq = -1
  const take = (message) => {
    probe.received++
    counter.delivered++
    counter.progress()
    if (message.seq <= lastSeq) probe.outOfOrder++
    lastSeq = message.seq
    probe.latencies.push(performance.now() - message.sentAt)
  }

  if (server === 'socketio') {
    const socket = io(`http://${endpoint.host}:${endpoint.port}`, { transports: ['websocket'], forceNew: true, reconnection: false })
    await once(socket, 'connect')
    socket.on('publish', (frame) => take(frame.message))
    await socket.timeout(10_000).emitWithAck('subscribe', topic)
    probe.close = () => socket.disconnect()
    return probe
  }

  if (server === 'nchan') {
    // Nchan: subscribed by the path; every message arrives as it was published
    const ws = new WebSocket(`ws://${endpoint.host}:${endpoint.port}/sub/${topic}`)
    await once(ws, 'open')
    ws.on('message', (data) => take(JSON.parse(data.toString())))
    probe.close = () => ws.terminate()
    return probe
  }

  const ws = new WebSocket(`ws://${endpoint.host}:${endpoint.port}/message`)
  await once(ws, 'open')
  const subscribed = new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString())
      if (frame.action === 'publish') take(frame.message)
      else if (frame.action === 'subscribed') resolve()
      else if (frame.action === 'error') reject(new Error(frame.error))
    })
  })
  ws.send(JSON.stringify({ action: 'subscribe', topic, id: 1 }))
  await subscribed
  probe.close = () => ws.terminate()
  return probe
}
