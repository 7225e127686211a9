/** GET /docs/asyncapi.json: the WebSocket protocol as an AsyncAPI 3 document, from the schemas the socket uses. */
import type { FastifyPluginAsync } from 'fastify'
import { buildAsyncApi } from '../src/contract/asyncapi.js'
import { Frames, Requests } from '../src/contract/schemas.js'

const asyncApiRoute: FastifyPluginAsync = async (fastify) => {
  const document = buildAsyncApi({ requests: Requests, frames: Frames })
  fastify.get('/docs/asyncapi.json', { schema: { hide: true } }, async () => document)
}

export default asyncApiRoute
