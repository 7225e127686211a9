/** The wire protocol of /message: request schemas, error codes and the frames the server sends. */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

export const TOPIC_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$'
export const Topic = Type.String({ pattern: TOPIC_PATTERN, description: 'letters, digits and _ - . : (1 to 128)' })
const topicRegExp = new RegExp(TOPIC_PATTERN)

export function isValidTopic (topic: unknown): topic is string {
  return typeof topic === 'string' && topicRegExp.test(topic)
}

const RequestId = Type.Union([Type.String({ maxLength: 128 }), Type.Number()])

/** Where a client left a topic: the last offset it received, in the topic's epoch. */
export const Position = Type.Object({
  offset: Type.Integer({ minimum: 0 }),
  epoch: Type.String({ maxLength: 64 })
})
export type Position = Static<typeof Position>

export const SubscribeRequest = Type.Object({
  action: Type.Literal('subscribe'),
  topic: Type.String(),
  since: Type.Optional(Position),
  id: Type.Optional(RequestId)
})
export const UnsubscribeRequest = Type.Object({
  action: Type.Literal('unsubscribe'),
  topic: Type.String(),
  id: Type.Optional(RequestId)
})
export const PublishRequest = Type.Object({
  action: Type.Literal('publish'),
  topic: Type.String(),
  message: Type.Unknown(),
  id: Type.Optional(RequestId)
})
export const PingRequest = Type.Object({
  action: Type.Literal('ping'),
  id: Type.Optional(RequestId)
})

export type SubscribeRequest = Static<typeof SubscribeRequest>
export type UnsubscribeRequest = Static<typeof UnsubscribeRequest>
export type PublishRequest = Static<typeof PublishRequest>
export type PingRequest = Static<typeof PingRequest>
export type ClientRequest = SubscribeRequest | UnsubscribeRequest | PublishRequest | PingRequest
export type RequestIdValue = Static<typeof RequestId>

/** One compiled checker per action, so the error names what is wrong with that action's fields. */
export const requestCheckers = {
  subscribe: TypeCompiler.Compile(SubscribeRequest),
  unsubscribe: TypeCompiler.Compile(UnsubscribeRequest),
  publish: TypeCompiler.Compile(PublishRequest),
  ping: TypeCompiler.Compile(PingRequest)
} as const

export type Action = keyof typeof requestCheckers

export const ErrorCode = {
  badJson: 'bad_json',
  unknownAction: 'unknown_action',
  invalidRequest: 'invalid_request',
  invalidTopic: 'invalid_topic',
  unsupportedData: 'unsupported_data',
  tooManySubscriptions: 'too_many_subscriptions',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  tokenExpired: 'token_expired',
  internal: 'internal_error'
} as const
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

/** WebSocket close codes proxyer uses (RFC 6455 section 7.4). */
export const CloseCode = {
  goingAway: 1001,
  policyViolation: 1008,
  /** sent by ws itself for a frame over maxPayload, before buffering it whole */
  messageTooBig: 1009,
  /** private-use range: missing or bad credentials where they are required, or a token expired past its grace */
  unauthorized: 4001,
  /** private-use range: a client that does not read its frames */
  slowConsumer: 4008
} as const

export function errorFrame (code: ErrorCode, error: string, id?: RequestIdValue): string {
  return JSON.stringify(id === undefined ? { action: 'error', code, error } : { action: 'error', code, error, id })
}

export function replyFrame (action: string, id: RequestIdValue | undefined, fields: Record<string, unknown>): string {
  return JSON.stringify({ action, id, ...fields })
}

/**
 * The frame every subscriber receives, built once per publish. Its head is built
 * apart so that Redis can append the position it assigns.
 */
export function publishFrameHead (topic: string, message: unknown): string {
  return `{"action":"publish","topic":${JSON.stringify(topic)},"message":${JSON.stringify(message)}`
}

export function publishFrameTail (offset: number, epoch: string): string {
  return `,"offset":${offset},"epoch":${JSON.stringify(epoch)}}`
}
