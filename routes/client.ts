/** GET /client.js: the client SDK as an ES module, built from client/ by `npm run build`, and the part of the wire contract it imports. */
import { join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { projectRoot } from '../src/project-root.js'

const sdkDir = join(projectRoot, 'dist', 'client')

const clientRoute: FastifyPluginAsync = async (fastify) => {
  fastify.get('/client.js', async (request, reply) => {
    return reply.type('text/javascript; charset=utf-8').sendFile('client/proxyer-client.js', sdkDir)
  })
  // where a browser resolves the SDK's import '../src/contract/codes.js' from /client.js
  fastify.get('/src/contract/codes.js', async (request, reply) => {
    return reply.type('text/javascript; charset=utf-8').sendFile('src/contract/codes.js', sdkDir)
  })
}

export default clientRoute
