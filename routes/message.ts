/** GET /message: the WebSocket clients subscribe and publish on. */
import type { FastifyPluginAsync } from 'fastify'
import { ClientConnection } from '../src/transport/client-connection.js'
import { refuseUnauthenticated, releaseUpgrade } from '../src/transport/upgrade.js'

const messageRoute: FastifyPluginAsync = async (fastify) => {
  const { config, connections } = fastify
  const limits = {
    maxSubscriptions: config.MAX_SUBSCRIPTIONS,
    rateLimitPerSecond: fastify.access.rateLimit?.perSecond ?? Infinity,
    maxQueuedBytes: config.MAX_QUEUED_BYTES
  }
  // API-key connections (trusted backends) are not rate limited
  const unlimited = { ...limits, rateLimitPerSecond: Infinity }

  // one logger for all connections: a child logger per request would cost memory on every idle socket
  const log = fastify.log.child({ route: '/message' })

  // the connection attaches its listeners synchronously, so no early frame is lost
  fastify.get('/message', { websocket: true }, (socket, request) => {
    releaseUpgrade(socket, request.raw)
    const { authentication } = request
    if (!authentication.ok) return refuseUnauthenticated(socket, authentication.error)
    const connectionLimits = authentication.identity.rateLimit === undefined ? unlimited : limits
    const connection = new ClientConnection(socket, request.raw.socket, fastify.proxyer, connections.batcher, connectionLimits, log, connections.faults)
    connections.open.add(connection)
    socket.on('close', () => connections.open.delete(connection))
  })
}

export default messageRoute
