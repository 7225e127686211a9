/** Security headers on the page and the API (@fastify/helmet), with a Content-Security-Policy the live page passes. */
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

export default fp(async (fastify) => {
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // CSP level 3: 'self' covers ws: and wss: to the page's own host, the live page's socket
        connectSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        // the page's empty favicon is a data: URL
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"]
      }
    },
    // pages of the application's own origin load /client.js (CORS decides who may)
    crossOriginResourcePolicy: { policy: 'cross-origin' }
  })
}, { name: 'security-headers' })
