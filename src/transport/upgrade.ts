/** What the WebSocket upgrade leaves behind, let go once the socket is open. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

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
