/** Reads a client's text frame as a request of the wire contract, or says in words what is wrong with it. */
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ValueError } from '@sinclair/typebox/errors'
import { ErrorCode, isTopicPattern, isValidTopic, isValidTopicFilter, MAX_JSON_DEPTH, TOPIC_FILTER_RULE, TOPIC_RULE } from '../contract/codes.js'
import { nestsDeeperThan } from './json-depth.js'
import { Requests, type Action, type ClientRequest, type RequestIdValue } from '../contract/schemas.js'

/** A request refused before it ran: the error frame's fields. */
export class Refusal {
  constructor (readonly code: ErrorCode, readonly error: string, readonly id?: RequestIdValue) {}
}

/** One compiled checker per action, so the error names what is wrong with that action's fields. */
const checkers = {
  subscribe: TypeCompiler.Compile(Requests.subscribe),
  unsubscribe: TypeCompiler.Compile(Requests.unsubscribe),
  publish: TypeCompiler.Compile(Requests.publish),
  ping: TypeCompiler.Compile(Requests.ping),
  auth: TypeCompiler.Compile(Requests.auth),
  enqueue: TypeCompiler.Compile(Requests.enqueue),
  watch: TypeCompiler.Compile(Requests.watch),
  consume: TypeCompiler.Compile(Requests.consume),
  ack: TypeCompiler.Compile(Requests.ack),
  nack: TypeCompiler.Compile(Requests.nack),
  cancel: TypeCompiler.Compile(Requests.cancel)
} as const
const ACTIONS = Object.keys(checkers).join(', ')

export function parseRequest (text: string): ClientRequest | Refusal {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    // refused before parsing: JSON.parse would recurse through it all, holding up every other client
    return new Refusal(ErrorCode.invalidRequest, `The frame nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return new Refusal(ErrorCode.badJson, 'The frame is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new Refusal(ErrorCode.invalidRequest, 'A request must be a JSON object with an "action"')
  }
  const fields = value as Record<string, unknown>
  const id = requestId(fields.id)
  if (typeof fields.action !== 'string') {
    return new Refusal(ErrorCode.invalidRequest, 'A request must have an "action" string', id)
  }
  if (!Object.hasOwn(checkers, fields.action)) {
    return new Refusal(ErrorCode.unknownAction, `Unknown action "${clip(fields.action)}": use ${ACTIONS}`, id)
  }
  const checker = checkers[fields.action as Action]
  if (!checker.Check(value)) {
    // a failed Check has at least one error; requests are objects, so its path names a field
    const { path, message } = checker.Errors(value).First() as ValueError
    return new Refusal(ErrorCode.invalidRequest, `Invalid ${fields.action} request: "${path.slice(1)}": ${message}`, id)
  }
  const request = value as ClientRequest
  if (request.action === 'ping' || request.action === 'auth') return request
  if ('queue' in request) {
    if (!isValidTopic(request.queue)) return new Refusal(ErrorCode.invalidTopic, `Invalid queue name "${clip(request.queue)}": use ${TOPIC_RULE}`, id)
    return request
  }
  if (request.action === 'publish') {
    if (!isValidTopic(request.topic)) return new Refusal(ErrorCode.invalidTopic, `Invalid topic "${clip(request.topic)}": publish to a topic of ${TOPIC_RULE}`, id)
    return request
  }
  if (!isValidTopicFilter(request.topic)) {
    return new Refusal(ErrorCode.invalidTopic, `Invalid topic "${clip(request.topic)}": use ${TOPIC_FILTER_RULE}`, id)
  }
  if (request.action === 'subscribe' && request.since !== undefined && isTopicPattern(request.topic)) {
    return new Refusal(ErrorCode.invalidRequest, `Cannot recover "${clip(request.topic)}" with since: positions are per topic, so subscribe to each topic with its own since`, id)
  }
  return request
}

function requestId (value: unknown): RequestIdValue | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && value.length <= 128) return value
  return undefined
}

/** Keeps error sentences short whatever the client sent. */
function clip (text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text
}
