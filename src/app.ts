/** Builds proxyer from its plugins and routes; tests build it the same way. */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import type { Config } from './config.js'
import { httpServerFactory } from './http-server.js'
import { logOptions } from './log-output.js'
import { RequestLog } from './request-log.js'
import configPlugin from '../plugins/config.js'
import redisPlugin from '../plugins/redis.js'
import proxyerPlugin from '../plugins/proxyer.js'
import queuesPlugin from '../plugins/queues.js'
import websocketPlugin from '../plugins/websocket.js'
import staticPlugin from '../plugins/static.js'
import brokerErrorsPlugin from '../plugins/broker-errors.js'
import jsonBodyPlugin from '../plugins/json-body.js'
import metricsPlugin from '../plugins/metrics.js'
import apiDocsPlugin from '../plugins/api-docs.js'
import messageRoute from '../routes/message.js'
import publishRoute from '../routes/publish.js'
import topicsRoute from '../routes/topics.js'
import healthRoute from '../routes/health.js'
import clusterRoute from '../routes/cluster.js'
import historyRoute from '../routes/history.js'
import clientRoute from '../routes/client.js'
import securityHeadersPlugin from '../plugins/security-headers.js'
import originsPlugin from '../plugins/origins.js'
import connectionLimitsPlugin from '../plugins/connection-limits.js'
import accessPlugin from '../plugins/access.js'
import httpRateLimitPlugin from '../plugins/http-rate-limit.js'
import { requestSerializer } from './log-serializers.js'
import { trustProxy } from './trust-proxy.js'
import queuesRoute from '../routes/queues.js'
import metricsRoute from '../routes/metrics.js'
import asyncApiRoute from '../routes/asyncapi.js'
import type { Clock } from './transport/clock.js'

/** What a test may put in place of the real thing or watch. */
export interface BuildOptions {
  /** Sees every route as it is added: the API document's test checks none is left out. */
  onRoute?: (route: RouteOptions) => void
  /** The clock connections go by (token expiry and its grace). */
  clock?: Clock
}

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // `?token=` on an upgrade URL is a credential: never in a log line
    logger: { ...logOptions(config.LOG_LEVEL), serializers: { req: requestSerializer } },
    serverFactory: httpServerFactory(config),
    logController: new RequestLog(),
    trustProxy: trustProxy(config.TRUST_PROXY),
    bodyLimit: config.MAX_MESSAGE_BYTES,
    // the Redis plugin waits up to REDIS_CONNECT_TIMEOUT_MS and then says why; Fastify's own limit comes after
    pluginTimeout: config.REDIS_CONNECT_TIMEOUT_MS + 5000,
    // room for the longest topic (128), so a longer one meets the schema's 400 rather than a 414
    routerOptions: { maxParamLength: 256 }
  })

  if (options.onRoute !== undefined) app.addHook('onRoute', options.onRoute)
  await app.register(configPlugin, { config })
  // before the plugins and routes that count their traffic on it
  await app.register(metricsPlugin)
  await app.register(brokerErrorsPlugin)
  await app.register(jsonBodyPlugin)
  await app.register(websocketPlugin, { clock: options.clock })
  // refusals first and cheapest first: headers on every answer, then origin, connection caps, rate, identity
  await app.register(securityHeadersPlugin)
  await app.register(originsPlugin)
  await app.register(connectionLimitsPlugin)
  await app.register(accessPlugin)
  await app.register(httpRateLimitPlugin)
  await app.register(redisPlugin)
  await app.register(proxyerPlugin)
  await app.register(queuesPlugin)
  await app.register(staticPlugin)
  await app.register(apiDocsPlugin)

  await app.register(messageRoute)
  await app.register(publishRoute)
  await app.register(topicsRoute)
  await app.register(healthRoute)
  await app.register(clusterRoute)
  await app.register(historyRoute)
  await app.register(clientRoute)
  await app.register(queuesRoute)
  await app.register(metricsRoute)
  await app.register(asyncApiRoute)

  return app
}
