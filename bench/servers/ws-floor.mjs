/**
 * The plain Node floor: a minimal ws broadcast server speaking the subset of proxyer's protocol the
 * benchmark uses (subscribe, publish, HTTP publish). A Map of topic to sockets; each publish is
 * serialized once and sent to every socket with ws.send. No validation, limits or figures.
 */
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { handlePublishRequest } from './publish-request.mjs'

const topics = new Map()

function publish (topic, message) {
  const sockets = topics.get(topic)
  if (sockets === undefined) return 0
  const frame = Buffer.from(JSON.stringify({ action: 'publish', topic, message }))
  for (const socket of sockets) socket.send(frame, { binary: false })
  return sockets.size
}

const server = createServer((req, res) => handlePublishRequest(req, res, (topic, message) => ({ topic, subscribers: publish(topic, message) })))
const wss = new WebSocketServer({ server, path: '/message', maxPayload: 64 * 1024 })

wss.on('connection', (socket) => {
  const subscribed = new Set()
  socket.on('message', (data) => {
    let request
    try {
      request = JSON.parse(data.toString())
    } catch {
      return
    }
    const { action, topic, id } = request
    if (action === 'subscribe') {
      let sockets = topics.get(topic)
      if (sockets === undefined) topics.set(topic, sockets = new Set())
      sockets.add(socket)
      subscribed.add(topic)
      if (id !== undefined) socket.send(JSON.stringify({ action: 'subscribed', id, topic }))
    } else if (action === 'publish') {
      const subscribers = publish(topic, request.message)
      if (id !== undefined) socket.send(JSON.stringify({ action: 'published', id, topic, subscribers }))
    }
  })
  socket.on('close', () => {
    for (const topic of subscribed) {
      const sockets = topics.get(topic)
      sockets.delete(socket)
      if (sockets.size === 0) topics.delete(topic)
    }
  })
})

process.on('SIGTERM', () => process.exit(0))
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
