/** Builds the AsyncAPI 3 document of the WebSocket protocol from the schemas the socket validates with and sends by. */
import type { TSchema } from '@sinclair/typebox'

export interface ProtocolSchemas {
  /** One schema per action a client may send (the request checkers' schemas). */
  requests: Record<string, TSchema>
  /** One schema per frame the server sends. */
  frames: Record<string, TSchema>
}

/** Typebox adds a symbol-keyed kind to each schema; JSON keeps only the JSON Schema. */
const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema))

export function buildAsyncApi ({ requests, frames }: ProtocolSchemas): Record<string, unknown> {
  const messages: Record<string, unknown> = {}
  for (const [action, schema] of Object.entries(requests)) {
    messages[`${action}Request`] = { name: action, title: `${action} request`, contentType: 'application/json', payload: plain(schema) }
  }
  for (const [action, schema] of Object.entries(frames)) {
    messages[`${action}Frame`] = { name: action, title: `${action} frame`, contentType: 'application/json', payload: plain(schema) }
  }
  const refs = (names: string[]): Array<{ $ref: string }> => names.map((name) => ({ $ref: `#/channels/message/messages/${name}` }))
  const requestNames = Object.keys(requests).map((a) => `${a}Request`)
  const frameNames = Object.keys(frames).map((a) => `${a}Frame`)
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'proxyer WebSocket protocol',
      version: '0.1.0',
      description: 'Text frames, each one JSON object. Requests run in order and their replies come in that order; a request with an id gets a reply carrying it.'
    },
    defaultContentType: 'application/json',
    channels: {
      message: {
        address: '/message',
        title: 'The WebSocket clients subscribe and publish on',
        messages: Object.fromEntries(Object.entries(messages).map(([name, message]) => [name, message]))
      }
    },
    operations: {
      sendRequest: {
        action: 'receive',
        summary: 'The server receives a client request',
        channel: { $ref: '#/channels/message' },
        messages: refs(requestNames)
      },
      sendFrame: {
        action: 'send',
        summary: 'The server sends a delivery, a reply or an error',
        channel: { $ref: '#/channels/message' },
        messages: refs(frameNames)
      }
    }
  }
}
