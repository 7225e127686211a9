/** MAX_CONNECTIONS (503) and MAX_CONNECTIONS_PER_IP (429), checked on the WebSocket upgrade before anything is allocated for it. */
import fp from 'fastify-plugin'
import { ConnectionCounter } from '../src/access/connection-counter.js'

export default fp(async (fastify) => {
  const { MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP } = fastify.config
  if (MAX_CONNECTIONS === undefined && MAX_CONNECTIONS_PER_IP === undefined) return
  const counter = new ConnectionCounter({ maxConnections: MAX_CONNECTIONS, maxPerAddress: MAX_CONNECTIONS_PER_IP })

  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.ws) return
    const address = request.ip
    const admission = counter.admit(address)
    if (admission === 'admitted') {
      // the TCP socket closes with the WebSocket, or at once when a later check refuses the upgrade
      request.raw.socket.once('close', () => counter.release(address))
      return
    }
    const [statusCode, error, message] = admission === 'instance_full'
      ? [503, 'Service Unavailable', `This instance holds its ${String(MAX_CONNECTIONS)} connections (MAX_CONNECTIONS); retry, or another instance`] as const
      : [429, 'Too Many Requests', `This address holds its ${String(MAX_CONNECTIONS_PER_IP)} connections (MAX_CONNECTIONS_PER_IP)`] as const
    request.log.info({ admission }, 'upgrade refused')
    return reply.code(statusCode).header('retry-after', '5').send({ statusCode, code: 'PROXYER_TOO_MANY_CONNECTIONS', error, message })
  })
}, { name: 'connection-limits', dependencies: ['config', 'websocket'] })
