/**
 * The Socket.IO 4.8 baseline: subscribe joins a room, publish emits to it, acknowledgements stand for
 * proxyer's replies. With REDIS_URL it shares rooms through @socket.io/redis-adapter.
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { handlePublishRequest } from './publish-request.mjs'

const httpServer = createServer((req, res) => handlePublishRequest(req, res, (topic, message) => ({ topic, subscribers: publish(topic, message) })))
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false })

if (process.env.REDIS_URL !== undefined) {
  const { Redis } = await import('ioredis')
  const { createAdapter } = await import('@socket.io/redis-adapter')
  const pubClient = new Redis(process.env.REDIS_URL)
  const subClient = pubClient.duplicate()
  io.adapter(createAdapter(pubClient, subClient))
}

/** Subscribers in this instance's room; the cluster-wide count would cost a round trip. */
function publish (topic, message) {
  io.to(topic).emit('publish', { topic, message })
  return io.sockets.adapter.rooms.get(topic)?.size ?? 0
}

io.on('connection', (socket) => {
  socket.on('subscribe', (topic, ack) => {
    socket.join(topic)
    if (typeof ack === 'function') ack({ topic })
  })
  socket.on('publish', (topic, message, ack) => {
    const subscribers = publish(topic, message)
    if (typeof ack === 'function') ack({ topic, subscribers })
  })
})

process.on('SIGTERM', () => process.exit(0))
httpServer.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
