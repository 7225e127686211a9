/** The work queues over HTTP: backends enqueue, workers claim and acknowledge, monitors read figures. */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { IdempotencyKey, Topic } from '../src/contract/schemas.js'
import { isJobId } from '../src/queue/job-id.js'
import { QueueFullError, type HoldOutcome } from '../src/queue/work-queue.js'
import { HttpError } from './schemas.js'

const QueueParams = Type.Object({ queue: Topic })
const JobParams = Type.Object({ queue: Topic, job: Type.String() })

const Enqueued = Type.Object({ queue: Type.String(), job: Type.String(), position: Type.Integer() })
const ClaimBody = Type.Object({
  max: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
  waitMs: Type.Integer({ minimum: 0, maximum: 30_000, default: 0 }),
  visibilityMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 12 * 3600_000 }))
}, { additionalProperties: false })
const Claimed = Type.Object({
  jobs: Type.Array(Type.Object({
    job: Type.String(), receipt: Type.String(), message: Type.Unknown(), attempt: Type.Integer(), enqueuedAt: Type.String({ format: 'date-time' })
  }))
})
const Receipt = Type.String({ minLength: 1, maxLength: 64 })
const AckBody = Type.Object({ receipt: Receipt, result: Type.Optional(Type.Unknown()) })
const NackBody = Type.Object({
  receipt: Receipt,
  error: Type.Optional(Type.String({ maxLength: 4096 })),
  delayMs: Type.Integer({ minimum: 0, maximum: 24 * 3600_000, default: 0 })
})
const BatchAckBody = Type.Object({
  jobs: Type.Array(Type.Object({ job: Type.String(), receipt: Receipt, result: Type.Optional(Type.Unknown()) }), { minItems: 1, maxItems: 1000 })
})
const BatchResults = Type.Object({
  results: Type.Array(Type.Object({ job: Type.String(), status: Type.Integer(), code: Type.Optional(Type.String()) }))
})
const JobStatus = Type.Object({
  queue: Type.String(),
  job: Type.String(),
  state: Type.Union([Type.Literal('waiting'), Type.Literal('active'), Type.Literal('done'), Type.Literal('failed')]),
  position: Type.Optional(Type.Integer()),
  attempts: Type.Integer(),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String())
})
const QueueStats = Type.Object({
  queue: Type.String(),
  waiting: Type.Integer({ description: 'waiting and nack-delayed jobs' }),
  active: Type.Integer(),
  consumers: Type.Integer({ description: 'socket consumers and waiting HTTP claims, cluster-wide' }),
  enqueued: Type.Integer(),
  done: Type.Integer(),
  failed: Type.Integer(),
  oldestWaitingMs: Type.Integer()
})
const FailedList = Type.Object({
  queue: Type.String(),
  jobs: Type.Array(Type.Object({
    job: Type.String(), message: Type.Unknown(), error: Type.String(), attempts: Type.Integer(), failedAt: Type.String({ format: 'date-time' })
  }))
})

const Ok = Type.Object({ queue: Type.String(), job: Type.String() })
const Refusals = { 404: HttpError, 409: HttpError, 503: HttpError }

/** The codes of the issue, in Fastify's error shape. */
const refusal = {
  404: { statusCode: 404, code: 'unknown_job', error: 'Not Found' },
  409: { statusCode: 409, code: 'not_held', error: 'Conflict' }
} as const

function refuse (reply: FastifyReply, outcome: 404 | 409, queue: string, job: string): FastifyReply {
  const message = outcome === 404
    ? `No job "${job}" in queue "${queue}" (unknown, or finished longer ago than JOB_RESULT_TTL)`
    : `The receipt does not hold job "${job}" now: its visibility lapsed and it went to another worker, or it is finished`
  return reply.code(outcome).send({ ...refusal[outcome], message })
}

const queuesRoute: FastifyPluginAsyncTypebox = async (fastify) => {
  const { config } = fastify

  fastify.post('/queues/:queue/jobs', {
    config: { access: { action: 'enqueue', on: 'queue' } },
    bodyLimit: config.MAX_MESSAGE_BYTES,
    schema: {
      summary: 'Queue a job (a producer, e.g. the booking page\'s backend)',
      tags: ['queues'],
      params: QueueParams,
      headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
      body: {
        content: {
          'application/json': { schema: Type.Object({ message: Type.Unknown() }, { required: ['message'] }) },
          'text/plain': { schema: Type.String({ minLength: 1 }) }
        }
      },
      response: { 201: Enqueued, 400: HttpError, 429: HttpError, 503: HttpError }
    }
  }, async (request, reply) => {
    const body = request.body as { message: unknown } | string
    try {
      const enqueued = await fastify.queues.enqueue(request.params.queue, typeof body === 'string' ? body : body.message, request.headers['idempotency-key'])
      return await reply.code(201).send(enqueued)
    } catch (err) {
      if (!(err instanceof QueueFullError)) throw err
      return reply.code(429).header('retry-after', '1').send({ statusCode: 429, code: 'queue_full', error: 'Too Many Requests', message: err.message })
    }
  })

  fastify.post('/queues/:queue/claim', {
    config: { access: { action: 'consume', on: 'queue' } },
    schema: { summary: 'Claim up to max waiting jobs (a worker), waiting up to waitMs for one', tags: ['queues'], params: QueueParams, body: ClaimBody, response: { 200: Claimed, 400: HttpError, 503: HttpError } },
    // an empty POST claims with every default
    preValidation: async (request) => { request.body ??= { max: 1, waitMs: 0 } }
  }, async (request, reply) => {
    const { body } = request
    // a worker that hangs up ends its wait, so nothing is claimed for nobody
    const gone = new AbortController()
    const onClose = (): void => { if (!reply.raw.writableFinished) gone.abort() }
    reply.raw.once('close', onClose)
    // it may have hung up before this handler ran, when 'close' was already past
    if (request.socket.destroyed) gone.abort()
    try {
      const jobs = await fastify.queues.claim(request.params.queue, {
        max: body.max,
        waitMs: body.waitMs,
        visibilityMs: body.visibilityMs ?? config.JOB_VISIBILITY_MS,
        signal: gone.signal
      })
      return { jobs }
    } finally {
      reply.raw.off('close', onClose)
    }
  })

  const settled = (reply: FastifyReply, outcome: HoldOutcome, queue: string, job: string): { queue: string, job: string } | FastifyReply =>
    outcome === 200 ? { queue, job } : refuse(reply, outcome, queue, job)

  fastify.post('/queues/:queue/jobs/:job/ack', {
    config: { access: { action: 'consume', on: 'queue' } },
    schema: { summary: 'Finish a held job with its result', tags: ['queues'], params: JobParams, body: AckBody, response: { 200: Ok, 400: HttpError, ...Refusals } }
  }, async (request, reply) => {
    const { queue, job } = request.params
    const outcome = isJobId(job) ? await fastify.queues.ack(queue, job, request.body.receipt, request.body.result ?? null) : 404
    return settled(reply, outcome, queue, job)
  })

  fastify.post('/queues/:queue/jobs/:job/nack', {
    config: { access: { action: 'consume', on: 'queue' } },
    schema: { summary: 'Give a held job back, to be tried again after delayMs', tags: ['queues'], params: JobParams, body: NackBody, response: { 200: Ok, 400: HttpError, ...Refusals } }
  }, async (request, reply) => {
    const { queue, job } = request.params
    const { receipt, error, delayMs } = request.body
    const outcome = isJobId(job) ? await fastify.queues.nack(queue, job, receipt, error, delayMs) : 404
    return settled(reply, outcome, queue, job)
  })

  fastify.post('/queues/:queue/ack', {
    config: { access: { action: 'consume', on: 'queue' } },
    schema: { summary: 'Finish several held jobs in one request, answered per job', tags: ['queues'], params: QueueParams, body: BatchAckBody, response: { 200: BatchResults, 400: HttpError, 503: HttpError } }
  }, async (request) => {
    const { queue } = request.params
    const results = await Promise.all(request.body.jobs.map(async ({ job, receipt, result }) => {
      const status = isJobId(job) ? await fastify.queues.ack(queue, job, receipt, result ?? null) : 404
      return status === 200 ? { job, status } : { job, status, code: refusal[status].code }
    }))
    return { results }
  })

  fastify.get('/queues/:queue/jobs/:job', {
    config: { access: { action: 'enqueue', on: 'queue' } },
    schema: { summary: 'A job\'s state: waiting (with its place in line), active, done or failed', tags: ['queues'], params: JobParams, response: { 200: JobStatus, 400: HttpError, 404: HttpError, 503: HttpError } }
  }, async (request, reply) => {
    const { queue, job } = request.params
    const status = isJobId(job) ? await fastify.queues.status(queue, job) : undefined
    return status ?? refuse(reply, 404, queue, job)
  })

  fastify.get('/queues', {
    config: { access: { action: 'consume', on: 'everything' } },
    schema: { summary: 'Every queue with its figures', tags: ['queues'], response: { 200: Type.Object({ queues: Type.Array(QueueStats) }), 503: HttpError } }
  }, async () => {
    const names = (await fastify.queues.queues()).sort()
    const stats = await Promise.all(names.map(async (queue) => fastify.queues.stats(queue)))
    // a queue may be forgotten between the list and its figures
    return { queues: stats.filter((s) => s !== undefined) }
  })

  const unknownQueue = (reply: FastifyReply, queue: string): FastifyReply => reply.code(404).send({
    statusCode: 404, code: 'unknown_queue', error: 'Not Found', message: `Queue "${queue}" has had no job for TOPIC_TTL_SECONDS, or never had one`
  })

  fastify.get('/queues/:queue', {
    config: { access: { action: 'consume', on: 'queue' } },
    schema: { summary: 'One queue\'s figures', tags: ['queues'], params: QueueParams, response: { 200: QueueStats, 400: HttpError, 404: HttpError, 503: HttpError } }
  }, async (request, reply) => {
    return (await fastify.queues.stats(request.params.queue)) ?? unknownQueue(reply, request.params.queue)
  })

  fastify.get('/queues/:queue/failed', {
    config: { access: { action: 'consume', on: 'queue' } },
    schema: {
      summary: 'The queue\'s failed jobs, newest first (the last 1,000)',
      tags: ['queues'],
      params: QueueParams,
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }),
      response: { 200: FailedList, 400: HttpError, 404: HttpError, 503: HttpError }
    }
  }, async (request, reply) => {
    const { queue } = request.params
    const jobs = await fastify.queues.failed(queue, request.query.limit)
    return jobs === undefined ? unknownQueue(reply, queue) : { queue, jobs }
  })
}

export default queuesRoute
