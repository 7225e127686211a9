/** GET /docs/asyncapi.json: the WebSocket protocol as an AsyncAPI 3 document, from the schemas the socket uses. */
import type { FastifyPluginAsync } from 'fastify'
import { buildAsyncApi } from '../src/asyncapi.js'
import { requestCheckers } from '../src/protocol.js'
import { serverFrames } from '../src/server-frames.js'

const asyncApiRoute: FastifyPluginAsync = async (fastify) => {
  const requests = Object.fromEntries(Object.entries(requestCheckers).map(([action, checker]) => [action, checker.Schema()]))
  const document = buildAsyncApi({ requests, frames: serverFrames })
  fastify.get('/docs/asyncapi.json', { schema: { hide: true } }, async () => document)
}

export default asyncApiRoute
