/** GET /message: the WebSocket clients subscribe and publish on. */
import type { FastifyPluginAsync } from 'fastify'
import { ClientConnection } from '../src/transport/client-connection.js'
import { releaseUpgrade } from '../src/transport/upgrade.js'

const messageRoute: FastifyPluginAsync = async (fastify) => {
  const { config, connections } = fastify
  const limits = {
    maxSubscriptions: config.MAX_SUBSCRIPTIONS,
    rateLimitPerSecond: config.RATE_LIMIT_PER_SECOND,
    maxQueuedBytes: config.MAX_QUEUED_BYTES
  }

  // one logger for all connections: a child logger per request would cost memory on every idle socket
  const log = fastify.log.child({ route: '/message' })

  // the connection attaches its listeners synchronously, so no early frame is lost
  fastify.get('/message', { websocket: true }, (socket, request) => {
    releaseUpgrade(socket, request.raw)
    const connection = new ClientConnection(socket, request.raw.socket, fastify.proxyer, connections.batcher, limits, log)
    connections.open.add(connection)
    socket.on('close', () => connections.open.delete(connection))
  })
}

export default messageRoute
