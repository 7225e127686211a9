/** Response schemas shared by the HTTP routes. */
import { Type, type Static } from '@sinclair/typebox'
import { Topic } from '../src/contract/schemas.js'

export const TopicParams = Type.Object({ topic: Topic })

export const TopicStats = Type.Object({
  topic: Type.String(),
  subscribers: Type.Integer(),
  published: Type.Integer(),
  delivered: Type.Integer(),
  slowConsumers: Type.Integer({ description: 'Connections dropped as slow consumers while receiving this topic' }),
  lastPublishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
})

/** The 404 body for a topic proxyer knows nothing of, in Fastify's error shape. */
export function unknownTopic (message: string): Static<typeof HttpError> {
  return { statusCode: 404, code: 'PROXYER_UNKNOWN_TOPIC', error: 'Not Found', message }
}

/** Fastify's own error body, documented for the routes that return it. */
export const HttpError = Type.Object({
  statusCode: Type.Integer(),
  code: Type.Optional(Type.String()),
  error: Type.String(),
  message: Type.String()
})
