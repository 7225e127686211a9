/** Security headers on the page and the API (helmet), with a Content-Security-Policy the live page passes. */
import fp from 'fastify-plugin'
import helmet from 'helmet'

export default fp(async (fastify) => {
  // helmet's middleware built once: @fastify/helmet 13 builds it again on every request (7 to 10 µs of CPU each here)
  const setHeaders = helmet({
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
  // helmet 8 throws rather than passing an error on: its callback only ever continues
  fastify.addHook('onRequest', (request, reply, done) => { setHeaders(request.raw, reply.raw, () => done()) })
}, { name: 'security-headers' })
