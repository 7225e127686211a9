/** GET /metrics: this instance's figures in Prometheus' text format, for a scraper; off with METRICS=false. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { isAllowed, parseAllowList } from '../src/metrics/allow-list.js'

const metricsRoute: FastifyPluginAsync = async (fastify) => {
  const { config, metrics } = fastify
  if (!config.METRICS) return
  const allowList = parseAllowList(config.METRICS_ALLOW)

  /**
   * Who may scrape: an address in METRICS_ALLOW, or a request with an API key. With neither METRICS_ALLOW
   * nor any credentials configured, anyone who reaches the port, as for /topics.
   */
  const mayScrape = (request: FastifyRequest): boolean => {
    if (allowList !== undefined && isAllowed(allowList, request.ip)) return true
    if (fastify.access.secured) return request.authentication.ok && request.authentication.identity.kind === 'key'
    return allowList === undefined
  }

  fastify.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics of this instance',
      description: 'Text exposition format 0.0.4. Names start with proxyer_; no label takes one value per topic or per user. ' +
        'With METRICS_ALLOW or API keys set, only those addresses or a request with a key may read it.',
      tags: ['monitoring'],
      response: {
        200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
        403: { description: 'Neither an address in METRICS_ALLOW nor an API key', content: { 'text/plain': { schema: { type: 'string' } } } }
      }
    }
  }, async (request, reply) => {
    if (!mayScrape(request)) return reply.code(403).type('text/plain; charset=utf-8').send('Reading the metrics needs an API key (Authorization: Bearer) or an address in METRICS_ALLOW\n')
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}

export default metricsRoute
