/** The frames the server sends on /message, as typebox schemas: what the AsyncAPI document describes (to join the wire contract). */
import { Type } from '@sinclair/typebox'
import { ErrorCode } from './protocol.js'

const Id = Type.Optional(Type.Union([Type.String(), Type.Number()], { description: 'the id of the request answered' }))
const Topic = Type.String()

export const serverFrames = {
  publish: Type.Object({
    action: Type.Literal('publish'),
    topic: Topic,
    message: Type.Unknown({ description: 'the published value, unchanged' }),
    offset: Type.Integer({ minimum: 1 }),
    epoch: Type.String()
  }, { description: 'A delivery to every subscriber of the topic', examples: [{ action: 'publish', topic: 'booked', message: '1673254205340:2199:32925:en00030', offset: 42, epoch: 'Xq3v9a' }] }),
  subscribed: Type.Object({
    action: Type.Literal('subscribed'),
    id: Id,
    topic: Topic,
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
    epoch: Type.Optional(Type.String()),
    recovered: Type.Optional(Type.Boolean({ description: 'with since: whether every missed message was replayed' }))
  }, { description: 'The reply to a subscribe with an id, and always to one with since (after the replayed messages)' }),
  unsubscribed: Type.Object({ action: Type.Literal('unsubscribed'), id: Id, topic: Topic }, { description: 'The reply to an unsubscribe with an id' }),
  published: Type.Object({
    action: Type.Literal('published'),
    id: Id,
    topic: Topic,
    subscribers: Type.Integer(),
    offset: Type.Integer(),
    epoch: Type.String()
  }, { description: 'The reply to a publish with an id' }),
  pong: Type.Object({ action: Type.Literal('pong'), id: Id }, { description: 'The reply to a ping with an id' }),
  error: Type.Object({
    action: Type.Literal('error'),
    code: Type.Union(Object.values(ErrorCode).map((code) => Type.Literal(code))),
    error: Type.String({ description: 'a sentence saying what was wrong' }),
    id: Id
  }, { description: 'A refused request; the connection stays open' })
}
