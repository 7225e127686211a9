/** The Node HTTP server under Fastify, with the timeouts and the socket cap that keep idle or half-sent requests from holding every descriptor. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Config } from './config.js'

type Handler = (request: IncomingMessage, response: ServerResponse) => void

export function httpServerFactory (config: Config): (handler: Handler) => Server {
  return (handler) => {
    const server = createServer({
      // a request whose headers or body do not arrive in time is answered 408 and its socket closed
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS),
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // how often Node looks for requests past those timeouts (its default, 30 s, would let them pile up)
      connectionsCheckingInterval: Math.max(50, Math.min(1000, config.HTTP_HEADERS_TIMEOUT_MS / 2)),
      // 16 KB, Node's default, stated: header size is bounded
      maxHeaderSize: 16 * 1024
    }, handler)
    // past the cap new sockets are closed at once, so the process keeps descriptors for Redis and its own files
    server.maxConnections = config.MAX_SOCKETS
    return server
  }
}
