/** GET /client.js: the client SDK as one ES module, built from client/ by `npm run build`. */
import { join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { projectRoot } from '../src/project-root.js'

const sdkDir = join(projectRoot, 'dist', 'client')

const clientRoute: FastifyPluginAsync = async (fastify) => {
  fastify.get('/client.js', {
    schema: {
      summary: 'The client SDK as one ES module',
      tags: ['client'],
      response: { 200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } }
    }
  }, async (request, reply) => {
    return reply.type('text/javascript; charset=utf-8').sendFile('proxyer-client.js', sdkDir)
  })
}

export default clientRoute
