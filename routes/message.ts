/** GET /message: the WebSocket clients subscribe and publish on. */
import type { FastifyPluginAsync } from 'fastify'
import { ClientConnection } from '../src/transport/client-connection.js'
import { refuseUnauthenticated, releaseUpgrade } from '../src/transport/upgrade.js'
import { ErrorCode } from '../src/contract/codes.js'

const messageRoute: FastifyPluginAsync = async (fastify) => {
  const { config, connections, access } = fastify
  const limits = {
    maxSubscriptions: config.MAX_SUBSCRIPTIONS,
    tokenGraceMs: config.TOKEN_GRACE_MS,
    maxQueuedBytes: config.MAX_QUEUED_BYTES,
    maxWatchedJobs: config.MAX_WATCHED_JOBS
  }

  // one logger for all connections: a child logger per request would cost memory on every idle socket
  const log = fastify.log.child({ route: '/message' })

  // the connection attaches its listeners synchronously, so no early frame is lost
  fastify.get('/message', { websocket: true }, (socket, request) => {
    releaseUpgrade(socket, request.raw)
    const { authentication } = request
    if (!authentication.ok) {
      fastify.metrics.figures.countError('ws', ErrorCode.unauthorized)
      return refuseUnauthenticated(socket, authentication.error)
    }
    // the identity's rate limit (none for API keys) and permissions are judged on every request
    const identity = { identity: authentication.identity, authenticator: access, clock: connections.clock }
    const connection = new ClientConnection(socket, request.raw.socket, fastify.proxyer, connections.batcher, limits, log, identity, connections.faults, fastify.queues, fastify.metrics.figures)
    connections.open.add(connection)
    socket.on('close', () => connections.open.delete(connection))
  })
}

export default messageRoute
