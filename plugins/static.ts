/** Serves the live page from public/. */
import { join } from 'node:path'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import { projectRoot } from '../src/project-root.js'

export default fp(async (fastify) => {
  await fastify.register(fastifyStatic, { root: join(projectRoot, 'public') })
}, { name: 'static' })
