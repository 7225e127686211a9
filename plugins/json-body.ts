/** Parses JSON bodies after refusing documents nested deeper than the protocol allows, so a deep body costs a linear scan, not a recursion. */
import fp from 'fastify-plugin'
import { MAX_JSON_DEPTH } from '../src/contract/codes.js'
import { nestsDeeperThan } from '../src/transport/json-depth.js'

export default fp(async (fastify) => {
  const parseJson = fastify.getDefaultJsonParser('error', 'error')
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      const error = Object.assign(new Error(`The body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`), {
        statusCode: 400,
        code: 'PROXYER_INVALID_REQUEST'
      })
      done(error, undefined)
      return
    }
    parseJson(request, body, done)
  })
}, { name: 'json-body' })
