/** GET /client.js: the client SDK as one ES module, built from client/ with the server (`npm run build`). */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { projectRoot } from '../src/project-root.js'

const FILE = 'proxyer-client.js'

export interface ClientRouteOptions {
  /** The folder holding the built SDK (default dist/client). */
  dir?: string
}

const clientRoute: FastifyPluginAsync<ClientRouteOptions> = async (fastify, { dir = join(projectRoot, 'dist', 'client') }) => {
  fastify.get('/client.js', async (request, reply) => {
    // checked on each request: a build finished after the start is served at once
    const built = await access(join(dir, FILE)).then(() => true, () => false)
    if (!built) {
      return reply.code(404).send({ statusCode: 404, code: 'PROXYER_CLIENT_NOT_BUILT', error: 'Not Found', message: 'The client SDK is not built: run npm run build' })
    }
    return reply.sendFile(FILE, dir)
  })
}

export default clientRoute
