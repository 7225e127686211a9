/** GET /topics/:topic/history: the messages a topic keeps, for a client that reloads its state, in bounded pages and a few at a time. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpError, TopicParams, unknownTopic } from './schemas.js'

/** Bytes of messages one reply carries at most (past its first message): the rest is the next page. */
const PAGE_BYTES = 1024 * 1024
/** History requests served at once: each holds up to a page; past it they are refused to retry. */
const CONCURRENT_READS = 4

const HistoryQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0, description: 'the last offset the client has; messages after it are returned' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'at most this many messages, the oldest first kept' }),
  last: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'the newest N messages instead (after `since` when given), still in offset order; replaces `limit`' }))
})

const History = Type.Object({
  topic: Type.String(),
  epoch: Type.String(),
  offset: Type.Integer({ description: 'the offset of the topic\'s last message' }),
  messages: Type.Array(Type.Object({
    offset: Type.Integer(),
    message: Type.Unknown(),
    publishedAt: Type.String({ format: 'date-time' })
  })),
  next: Type.Optional(Type.Integer({ description: 'more is kept after this page: ask again with since=next' }))
})

const historyRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  let reading = 0
  fastify.get('/topics/:topic/history', {
    config: { access: { action: 'subscribe', on: 'topic' } },
    schema: {
      summary: 'The messages a topic keeps',
      description: 'For a client that reloads its state: the oldest first after since, or the newest N with last; ' +
        'at most 1 MB of messages past the first per reply (next continues after since), and 4 requests served at once.',
      tags: ['topics'],
      params: TopicParams,
      querystring: HistoryQuery,
      response: {
        200: History,
        404: { ...HttpError, description: 'A topic without history (PROXYER_UNKNOWN_TOPIC)' },
        503: { ...HttpError, description: 'Redis is down, or more history requests than are served at once (PROXYER_BUSY, Retry-After: 1)' }
      }
    }
  }, async (request, reply) => {
    const { topic } = request.params
    if (reading >= CONCURRENT_READS) {
      return reply.code(503).header('retry-after', '1').send({
        statusCode: 503, code: 'PROXYER_BUSY', error: 'Service Unavailable', message: `At most ${CONCURRENT_READS} history requests are served at once; retry shortly`
      })
    }
    // the slot is held until the page has left, as its bytes are held until then
    reading++
    reply.raw.once('close', () => { reading-- })
    const { since, limit, last } = request.query
    const newest = last !== undefined
    const history = await fastify.proxyer.history(topic, since, last ?? limit, PAGE_BYTES, newest)
    if (history === undefined) return reply.code(404).send(unknownTopic(`Topic "${topic}" has no history`))
    // the newest N end at the topic's end: the page bound drops their oldest, with nothing after to continue to
    const end = history.messages.at(-1)?.offset
    return !newest && end !== undefined && end < history.offset ? { ...history, next: end } : history
  })
}

export default historyRoute
