/** WebSocket support, and the set of open client connections with their heartbeat and shutdown. */
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import websocket, { type WebSocket } from '@fastify/websocket'
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

/**
 * Lets the upgrade's request objects go once the socket is open: otherwise an idle connection keeps
 * about 2 KB of them (Fastify's request, reply and logger, Node's IncomingMessage and ServerResponse)
 * through the plugin's 'error' listener and the ServerResponse Node leaves parked on the socket.
 * The caller attaches its own 'error' listener.
 */
export function releaseUpgrade (socket: WebSocket, request: IncomingMessage): void {
  socket.removeAllListeners('error')
  const raw = request.socket as Socket & { _httpMessage?: ServerResponse | null }
  raw._httpMessage?.detachSocket(raw)
}

export default fp(async (fastify) => {
  const connections: ConnectionSet = { open: new Set(), batcher: new WriteBatcher() }
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
      // a client that does not answer the close frame is not waited for past half the shutdown budget
      const grace = sleep(fastify.config.SHUTDOWN_TIMEOUT_MS / 2)
      await Promise.race([Promise.all(clients.map((client) => once(client, 'close'))), grace])
      for (const client of clients) client.terminate()
    }
  })
}, { name: 'websocket', dependencies: ['config'] })
