/** GET /metrics: this instance's figures in Prometheus' text format, for a scraper; off with METRICS=false. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { isAllowed, parseAllowList } from '../src/metrics/allow-list.js'

const metricsRoute: FastifyPluginAsync = async (fastify) => {
  const { config, metrics } = fastify
  if (!config.METRICS) return
  const allowList = parseAllowList(config.METRICS_ALLOW)

  /**
   * Who may scrape. Without METRICS_ALLOW: anyone who can reach the port, as for /topics.
   * Hook for API_KEYS (added on another branch): with keys configured, a request carrying a valid
   * key passes as well, and a request with neither a key nor an allowed address is refused.
   */
  const mayScrape = (request: FastifyRequest): boolean => allowList === undefined || isAllowed(allowList, request.ip)

  fastify.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics of this instance',
      description: 'Text exposition format 0.0.4. Names start with proxyer_; no label takes one value per topic or per user. ' +
        'With METRICS_ALLOW set, only those addresses may read it.',
      tags: ['monitoring'],
      response: {
        200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
        403: { description: 'The address is not in METRICS_ALLOW', content: { 'text/plain': { schema: { type: 'string' } } } }
      }
    }
  }, async (request, reply) => {
    if (!mayScrape(request)) return reply.code(403).type('text/plain; charset=utf-8').send('This address may not read the metrics (METRICS_ALLOW)\n')
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}

export default metricsRoute
