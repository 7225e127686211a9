/** What the WebSocket upgrade leaves behind, let go once the socket is open, and the answer to an upgrade whose credentials are refused. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import { CloseCode, ErrorCode } from '../contract/codes.js'
import { errorFrame } from '../contract/frames.js'

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

/** Sends the socket of a refused upgrade an `unauthorized` error frame, then closes it with 4001. */
export function refuseUnauthenticated (socket: WebSocket, error: Error): void {
  socket.on('error', () => {}) // the client may be gone already; nothing to do
  socket.send(errorFrame(ErrorCode.unauthorized, `${error.message}; connect with a valid token or none`))
  socket.close(CloseCode.unauthorized, 'unauthorized')
}
