/** The HTTP API as an OpenAPI 3 document at /docs/json, built from the routes' schemas, with a browsable UI at /docs. */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export default fp(async (fastify) => {
  // registered before the routes: it collects each route's schema as the route is added
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'proxyer',
        version: '0.1.0',
        description: 'Real-time message broker for web apps. Backends publish over HTTP; browsers subscribe over the ' +
          'WebSocket at /message, whose protocol is described at /docs/asyncapi.json (AsyncAPI 3).'
      },
      tags: [
        { name: 'publish', description: 'Publishing without holding a socket' },
        { name: 'topics', description: 'Figures and history of topics' },
        { name: 'monitoring', description: 'Health, readiness, cluster and metrics' },
        { name: 'client', description: 'The WebSocket and the client SDK' }
      ]
    }
  })
  // the UI's files come from this server (no CDN). Under a strict CSP it needs script-src 'self',
  // style-src 'self' plus its inline style (swagger-ui's `staticCSP: true` computes the hashes but also sends
  // upgrade-insecure-requests, which breaks the UI over plain http), img-src 'self' data:
  await fastify.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'api-docs', dependencies: ['config'] })
