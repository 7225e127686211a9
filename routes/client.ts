/** GET /client.js: the client SDK as an ES module, built from client/ with the server (`npm run build`), and the part of the wire contract it imports. */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { projectRoot } from '../src/project-root.js'

export interface ClientRouteOptions {
  /** The folder holding the built SDK (default dist/client). */
  dir?: string
}

const clientRoute: FastifyPluginAsync<ClientRouteOptions> = async (fastify, { dir = join(projectRoot, 'dist', 'client') }) => {
  /** Checked on each request: a build finished after the start is served at once, a missing one is a clear 404. */
  async function sendBuilt (reply: FastifyReply, file: string): Promise<FastifyReply> {
    const built = await access(join(dir, file)).then(() => true, () => false)
    if (!built) {
      return reply.code(404).send({ statusCode: 404, code: 'PROXYER_CLIENT_NOT_BUILT', error: 'Not Found', message: 'The client SDK is not built: run npm run build' })
    }
    return reply.type('text/javascript; charset=utf-8').sendFile(file, dir)
  }

  const javascript = (summary: string): object => ({
    summary,
    tags: ['client'],
    response: {
      200: { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } },
      404: { description: 'Not built (PROXYER_CLIENT_NOT_BUILT): run npm run build', type: 'object', additionalProperties: true }
    }
  })
  fastify.get('/client.js', { schema: javascript('The client SDK as an ES module') }, async (request, reply) => sendBuilt(reply, 'client/proxyer-client.js'))
  // the SDK's own module, where a browser resolves its import './queue-job.js' from /client.js
  fastify.get('/queue-job.js', { schema: javascript('The SDK\'s QueueJob module, imported by /client.js') }, async (request, reply) => sendBuilt(reply, 'client/queue-job.js'))
  // where a browser resolves the SDK's import '../src/contract/codes.js' from /client.js
  fastify.get('/src/contract/codes.js', { schema: javascript('The wire contract\'s codes and topic rule, imported by /client.js') }, async (request, reply) => sendBuilt(reply, 'src/contract/codes.js'))
}

export default clientRoute
