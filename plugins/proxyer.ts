/** The broker behind every route, as `fastify.proxyer`: embedded by default. */
import fp from 'fastify-plugin'
import type { Broker } from '../src/broker/broker.js'
import { MemoryBroker } from '../src/broker/memory-broker.js'

declare module 'fastify' {
  interface FastifyInstance {
    proxyer: Broker
  }
}

export default fp(async (fastify) => {
  const broker = new MemoryBroker({ topicTtlMs: fastify.config.TOPIC_TTL_SECONDS * 1000 })
  fastify.decorate('proxyer', broker)
  fastify.addHook('onClose', async () => broker.close())
}, { name: 'proxyer', dependencies: ['config'] })
