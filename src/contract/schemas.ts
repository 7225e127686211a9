/** The wire contract of /message as typebox schemas: every request a client sends and every frame the server sends. */
import { Type, type Static } from '@sinclair/typebox'
import { ErrorCode, IDEMPOTENCY_KEY_PATTERN, TOPIC_FILTER_PATTERN, TOPIC_FILTER_RULE, TOPIC_PATTERN, TOPIC_RULE } from './codes.js'

export const Topic = Type.String({ pattern: TOPIC_PATTERN, description: TOPIC_RULE })
/** A topic or a pattern of topics (`zoo.*.booked`, `zoo.>`): what subscribe and unsubscribe name. */
export const TopicFilter = Type.String({ pattern: TOPIC_FILTER_PATTERN, description: TOPIC_FILTER_RULE })
/** A publisher's name for one message: a repeat within IDEMPOTENCY_TTL publishes nothing and gets the first answer. */
export const IdempotencyKey = Type.String({ pattern: IDEMPOTENCY_KEY_PATTERN, description: '1 to 128 visible ASCII characters' })

const RequestId = Type.Union([Type.String({ maxLength: 128 }), Type.Number()])
export type RequestIdValue = Static<typeof RequestId>

/** Where a client left a topic: the last offset it received, in the topic's epoch. */
export const Position = Type.Object({
  offset: Type.Integer({ minimum: 0 }),
  epoch: Type.String({ maxLength: 64 })
})
export type Position = Static<typeof Position>

// requests: the topic is checked apart, so that its error names the rule (invalid_topic)
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
  key: Type.Optional(IdempotencyKey),
  id: Type.Optional(RequestId)
})
export const PingRequest = Type.Object({
  action: Type.Literal('ping'),
  id: Type.Optional(RequestId)
})
/** A token (a JWT, or an API key) for this connection, first or later: it replaces the one the connection had. */
export const AuthRequest = Type.Object({
  action: Type.Literal('auth'),
  token: Type.String({ minLength: 1, maxLength: 8192 }),
  id: Type.Optional(RequestId)
})

// work-queue requests: the queue name follows the topic rule, checked apart like the topic
export const EnqueueRequest = Type.Object({
  action: Type.Literal('enqueue'),
  queue: Type.String(),
  message: Type.Unknown(),
  /** A repeat within IDEMPOTENCY_TTL queues nothing and gets the first job. */
  key: Type.Optional(IdempotencyKey),
  id: Type.Optional(RequestId)
})
export const WatchRequest = Type.Object({
  action: Type.Literal('watch'),
  queue: Type.String(),
  job: Type.String({ maxLength: 64 }),
  id: Type.Optional(RequestId)
})
export const ConsumeRequest = Type.Object({
  action: Type.Literal('consume'),
  queue: Type.String(),
  /** Jobs this connection holds at most at once. */
  prefetch: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
  id: Type.Optional(RequestId)
})
export const AckRequest = Type.Object({
  action: Type.Literal('ack'),
  queue: Type.String(),
  job: Type.String({ maxLength: 64 }),
  result: Type.Optional(Type.Unknown()),
  id: Type.Optional(RequestId)
})
export const NackRequest = Type.Object({
  action: Type.Literal('nack'),
  queue: Type.String(),
  job: Type.String({ maxLength: 64 }),
  error: Type.Optional(Type.String({ maxLength: 4096 })),
  delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 3600_000 })),
  id: Type.Optional(RequestId)
})
export const CancelRequest = Type.Object({
  action: Type.Literal('cancel'),
  queue: Type.String(),
  id: Type.Optional(RequestId)
})

export type SubscribeRequest = Static<typeof SubscribeRequest>
export type UnsubscribeRequest = Static<typeof UnsubscribeRequest>
export type PublishRequest = Static<typeof PublishRequest>
export type PingRequest = Static<typeof PingRequest>
export type AuthRequest = Static<typeof AuthRequest>
export type EnqueueRequest = Static<typeof EnqueueRequest>
export type WatchRequest = Static<typeof WatchRequest>
export type ConsumeRequest = Static<typeof ConsumeRequest>
export type AckRequest = Static<typeof AckRequest>
export type NackRequest = Static<typeof NackRequest>
export type CancelRequest = Static<typeof CancelRequest>
export type QueueRequest = EnqueueRequest | WatchRequest | ConsumeRequest | AckRequest | NackRequest | CancelRequest
export type ClientRequest = SubscribeRequest | UnsubscribeRequest | PublishRequest | PingRequest | AuthRequest | QueueRequest

/** Each action's request schema, by action. */
export const Requests = {
  subscribe: SubscribeRequest,
  unsubscribe: UnsubscribeRequest,
  publish: PublishRequest,
  ping: PingRequest,
  auth: AuthRequest,
  enqueue: EnqueueRequest,
  watch: WatchRequest,
  consume: ConsumeRequest,
  ack: AckRequest,
  nack: NackRequest,
  cancel: CancelRequest
} as const
export type Action = keyof typeof Requests

// frames the server sends

/** A message on a subscribed topic, with its position. */
export const PublishFrame = Type.Object({
  action: Type.Literal('publish'),
  topic: Topic,
  message: Type.Unknown(),
  offset: Type.Integer({ minimum: 1 }),
  epoch: Type.String()
})
export const SubscribedFrame = Type.Object({
  action: Type.Literal('subscribed'),
  id: Type.Optional(RequestId),
  /** A pattern's reply carries no position: positions are per topic. */
  topic: TopicFilter,
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  epoch: Type.Optional(Type.String()),
  /** Only when subscribing from a position: whether every missed message was replayed. */
  recovered: Type.Optional(Type.Boolean())
})
/** The reply to unsubscribe; or, with no id but a code, the server left the topic itself: a refreshed token may not subscribe to it. */
export const UnsubscribedFrame = Type.Object({
  action: Type.Literal('unsubscribed'),
  id: Type.Optional(RequestId),
  topic: TopicFilter,
  code: Type.Optional(Type.Literal(ErrorCode.forbidden)),
  error: Type.Optional(Type.String())
})
export const PublishedFrame = Type.Object({
  action: Type.Literal('published'),
  id: Type.Optional(RequestId),
  topic: Topic,
  subscribers: Type.Integer({ minimum: 0 }),
  offset: Type.Integer({ minimum: 1 }),
  epoch: Type.String()
})
export const PongFrame = Type.Object({
  action: Type.Literal('pong'),
  id: Type.Optional(RequestId)
})
export const AuthenticatedFrame = Type.Object({
  action: Type.Literal('authenticated'),
  id: Type.Optional(RequestId)
})
export const ErrorFrame = Type.Object({
  action: Type.Literal('error'),
  code: Type.Union(Object.values(ErrorCode).map((code) => Type.Literal(code))),
  error: Type.String(),
  id: Type.Optional(RequestId)
})

// work-queue frames
const QueueName = Type.String({ pattern: TOPIC_PATTERN })
const JobId = Type.String()
/** Always sent, id or not: the producer's receipt. */
export const EnqueuedFrame = Type.Object({
  action: Type.Literal('enqueued'), id: Type.Optional(RequestId), queue: QueueName, job: JobId, position: Type.Integer({ minimum: 1 })
})
/** The job's place in line, 0 while a worker holds it; sent on change at most every POSITION_INTERVAL_MS. */
export const PositionFrame = Type.Object({
  action: Type.Literal('position'), id: Type.Optional(RequestId), queue: QueueName, job: JobId, position: Type.Integer({ minimum: 0 })
})
export const DoneFrame = Type.Object({
  action: Type.Literal('done'), id: Type.Optional(RequestId), queue: QueueName, job: JobId, result: Type.Unknown()
})
export const FailedFrame = Type.Object({
  action: Type.Literal('failed'), id: Type.Optional(RequestId), queue: QueueName, job: JobId, error: Type.String(), attempts: Type.Integer({ minimum: 0 })
})
/** A job pushed to a consuming connection, which holds it until it acks, nacks, cancels or closes. */
export const JobFrame = Type.Object({
  action: Type.Literal('job'), queue: QueueName, job: JobId, message: Type.Unknown(), attempt: Type.Integer({ minimum: 1 })
})
export const ConsumingFrame = Type.Object({
  action: Type.Literal('consuming'), id: Type.Optional(RequestId), queue: QueueName, prefetch: Type.Integer({ minimum: 1 })
})
export const AckedFrame = Type.Object({ action: Type.Literal('acked'), id: Type.Optional(RequestId), queue: QueueName, job: JobId })
export const NackedFrame = Type.Object({ action: Type.Literal('nacked'), id: Type.Optional(RequestId), queue: QueueName, job: JobId })
export const CancelledFrame = Type.Object({ action: Type.Literal('cancelled'), id: Type.Optional(RequestId), queue: QueueName })

export type QueueFrame = Static<typeof EnqueuedFrame> | Static<typeof PositionFrame> | Static<typeof DoneFrame> | Static<typeof FailedFrame> |
  Static<typeof JobFrame> | Static<typeof ConsumingFrame> | Static<typeof AckedFrame> | Static<typeof NackedFrame> | Static<typeof CancelledFrame>
/**
 * After the server's own link to the other instances came back: the messages published meanwhile
 * could not all be replayed (a new epoch: what came before it; or trimmed from history); the topic
 * carries on from here. A new epoch is taken from its start (offset 0): its messages follow this frame.
 * For a pattern, always after such a break and without a position (positions are per topic): messages
 * to its topics published meanwhile through other instances may be missing.
 */
export const ResumedFrame = Type.Object({
  action: Type.Literal('resumed'),
  topic: TopicFilter,
  recovered: Type.Literal(false),
  offset: Type.Optional(Type.Integer({ minimum: 0, description: 'absent for a pattern' })),
  epoch: Type.Optional(Type.String({ description: 'absent for a pattern' }))
})
export type ServerFrame = Static<typeof PublishFrame> | Static<typeof SubscribedFrame> | Static<typeof UnsubscribedFrame> |
  Static<typeof PublishedFrame> | Static<typeof PongFrame> | Static<typeof AuthenticatedFrame> | Static<typeof ErrorFrame> |
  Static<typeof ResumedFrame> | QueueFrame

/** Each frame the server sends, by action: what the AsyncAPI document lists. */
export const Frames = {
  publish: PublishFrame,
  subscribed: SubscribedFrame,
  unsubscribed: UnsubscribedFrame,
  published: PublishedFrame,
  pong: PongFrame,
  authenticated: AuthenticatedFrame,
  error: ErrorFrame,
  enqueued: EnqueuedFrame,
  position: PositionFrame,
  done: DoneFrame,
  failed: FailedFrame,
  job: JobFrame,
  consuming: ConsumingFrame,
  acked: AckedFrame,
  nacked: NackedFrame,
  cancelled: CancelledFrame,
  resumed: ResumedFrame
} as const
