/** WebSocket support, and the set of open client connections with their heartbeat and shutdown. */
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import type { ClientConnection } from '../src/transport/client-connection.js'
import { CloseCode } from '../src/contract/codes.js'
import { WriteBatcher } from '../src/transport/write-batcher.js'
import { type Clock, systemClock } from '../src/transport/clock.js'
import { ConnectionFaults } from '../src/transport/connection-faults.js'
import { checkHandleWrites } from '../src/transport/handle-writes-check.js'

export interface ConnectionSet {
  readonly open: Set<ClientConnection>
  readonly batcher: WriteBatcher
  /** The time connections go by (token expiry, rate limits): the system's, or a test's. */
  readonly clock: Clock
  /** Connections closed because serving them raised an error. */
  readonly faults: ConnectionFaults
  /** How frames reach the sockets: 'handle', or 'stream' with why the start-up check refused the handle. */
  readonly socketWrites: string
}

declare module 'fastify' {
  interface FastifyInstance {
    connections: ConnectionSet
  }
}

export default fp<{ clock?: Clock }>(async (fastify, options) => {
  // Node internals, checked on a connection of the check's own: a Node that changed them keeps the stream path
  const handleWrites = await checkHandleWrites()
  const socketWrites = typeof handleWrites === 'string' ? `stream (${handleWrites})` : 'handle'
  if (typeof handleWrites === 'string') fastify.log.warn({ reason: handleWrites }, 'socket writes go through the stream: the check of the Node internals for handle writes failed')
  const connections: ConnectionSet = {
    open: new Set(),
    batcher: new WriteBatcher(fastify.metrics.figures, typeof handleWrites === 'string' ? undefined : handleWrites),
    clock: options.clock ?? systemClock,
    faults: new ConnectionFaults(),
    socketWrites
  }
  fastify.decorate('connections', connections)

  const heartbeat = setInterval(() => {
    for (const connection of connections.open) connection.heartbeat()
  }, fastify.config.PING_INTERVAL_MS)
  heartbeat.unref()

  await fastify.register(websocket, {
    options: { maxPayload: fastify.config.MAX_MESSAGE_BYTES },
    // clients reconnect elsewhere on 1001, instead of waiting for a dead socket to time out
    preClose: async () => {
      clearInterval(heartbeat)
      fastify.websocketServer.close()
      // later upgrades are refused here: through the router they would get a 503 but keep their socket, holding the exit
      fastify.server.removeAllListeners('upgrade')
      fastify.server.on('upgrade', (request, socket) => {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy())
      })
      const clients = [...fastify.websocketServer.clients]
      for (const connection of connections.open) connection.close(CloseCode.goingAway, 'server shutting down')
      // a client that does not answer the close frame is not waited for past half the shutdown budget;
      // unref'd, so a shutdown whose clients all closed does not hold the process until the grace ends
      const grace = sleep(fastify.config.SHUTDOWN_TIMEOUT_MS / 2, undefined, { ref: false })
      await Promise.race([Promise.all(clients.map((client) => once(client, 'close'))), grace])
      for (const client of clients) client.terminate()
    }
  })
}, { name: 'websocket', dependencies: ['config', 'metrics'] })
