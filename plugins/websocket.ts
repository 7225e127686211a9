/** WebSocket support, and the set of open client connections with their heartbeat. */
import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import type { ClientConnection } from '../src/client-connection.js'
import { CloseCode } from '../src/protocol.js'
import { WriteBatcher } from '../src/write-batcher.js'

export interface ConnectionSet {
  readonly open: Set<ClientConnection>
  readonly batcher: WriteBatcher
}

declare module 'fastify' {
  interface FastifyInstance {
    connections: ConnectionSet
  }
}

export default fp(async (fastify) => {
  await fastify.register(websocket, {
    options: { maxPayload: fastify.config.MAX_MESSAGE_BYTES }
  })

  const connections: ConnectionSet = { open: new Set(), batcher: new WriteBatcher() }
  fastify.decorate('connections', connections)

  const heartbeat = setInterval(() => {
    for (const connection of connections.open) connection.heartbeat()
  }, fastify.config.PING_INTERVAL_MS)
  heartbeat.unref()

  // clients reconnect elsewhere on 1001, instead of waiting for a dead socket to time out
  fastify.addHook('preClose', async () => {
    clearInterval(heartbeat)
    for (const connection of connections.open) connection.close(CloseCode.goingAway, 'server shutting down')
  })
}, { name: 'websocket', dependencies: ['config'] })
