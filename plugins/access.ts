/** Who a request comes from: `request.authentication` from `Authorization: Bearer` (or `?token=` on a WebSocket upgrade), and each route's `config.access` rule enforced. */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AccessControl } from '../src/access/access-control.js'
import { accessSettings } from '../src/access/access-settings.js'
import type { AccessAction } from '../src/access/grants.js'
import { AuthenticationError, type Identity } from '../src/access/identity.js'

/** What a route needs: `action` on its `:topic` or `:queue`, or on every name (global listings). */
export interface AccessRule {
  action: AccessAction
  on: 'topic' | 'queue' | 'everything'
}

export type Authentication = { ok: true, identity: Identity } | { ok: false, error: AuthenticationError }

declare module 'fastify' {
  interface FastifyInstance {
    access: AccessControl
  }
  interface FastifyRequest {
    /** Set for every request before its route runs; a failure reaches only WebSocket routes (HTTP gets 401). */
    authentication: Authentication
  }
  interface FastifyContextConfig {
    access?: AccessRule
  }
}

/** The bearer credential of a request: the Authorization header, or `?token=` on an upgrade (browsers cannot set headers there). */
export function bearerOf (request: FastifyRequest): string | undefined {
  // other schemes (Basic from a proxy in front, say) are not proxyer's credentials
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  if (bearer !== null) return bearer[1]
  if (!request.ws) return undefined
  const token = (request.query as Record<string, unknown>).token
  // `?token=a&token=b` comes as a list: not a token
  return token === undefined || typeof token === 'string' ? token : ''
}

function httpError (reply: FastifyReply, statusCode: 401 | 403, message: string): FastifyReply {
  if (statusCode === 401) reply.header('www-authenticate', 'Bearer')
  return reply.code(statusCode).send({
    statusCode,
    code: statusCode === 401 ? 'PROXYER_UNAUTHORIZED' : 'PROXYER_FORBIDDEN',
    error: statusCode === 401 ? 'Unauthorized' : 'Forbidden',
    message
  })
}

export default fp(async (fastify) => {
  const access = new AccessControl(accessSettings(fastify.config))
  fastify.decorate('access', access)
  if (!access.secured) {
    fastify.log.warn('No API_KEYS, JWT_SECRET or JWT_PUBLIC_KEY set: anyone who can reach proxyer may publish to and read every topic; set API_KEYS for backends (and JWT_SECRET or JWT_PUBLIC_KEY for browsers) to close it')
  }

  fastify.decorateRequest('authentication', null as never)

  fastify.addHook('onRequest', async (request, reply) => {
    try {
      request.authentication = { ok: true, identity: access.authenticate(bearerOf(request)) }
    } catch (err) {
      /* c8 ignore next: authenticate throws only AuthenticationError */
      if (!(err instanceof AuthenticationError)) throw err
      request.log.info({ reason: err.reason }, 'credentials refused')
      // the socket route answers with an error frame and close code 4001, as clients of the protocol expect
      if (request.ws) request.authentication = { ok: false, error: err }
      else return httpError(reply, 401, err.message)
    }
  })

  // after validation, so `:topic` is known to be a topic
  fastify.addHook('preHandler', async (request, reply) => {
    const rule = request.routeOptions.config.access
    if (rule === undefined || !request.authentication.ok) return
    const { identity } = request.authentication
    const name = (request.params as Record<string, string>)[rule.on]
    const allowed = rule.on === 'everything' ? identity.permissions.canEverything(rule.action) : identity.can(rule.action, name)
    if (allowed) return
    const what = rule.on === 'everything' ? `${rule.action} on every ${rule.action === 'consume' ? 'queue' : 'topic'}` : `${rule.action} on ${rule.on} "${name}"`
    if (identity.kind === 'anonymous') return httpError(reply, 401, `Credentials are needed to ${what}: send Authorization: Bearer <API key or token>`)
    return httpError(reply, 403, `The token of "${identity.id}" may not ${what}`)
  })
}, { name: 'access', dependencies: ['config', 'websocket'] })
