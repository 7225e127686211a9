/** The dependency-free part of the wire contract: error codes, close codes and the topic rule, loaded by the server, the SDK and browsers alike. */

/** A topic: 1 to 128 letters, digits and _ - . : */
export const TOPIC_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$'

/** The topic rule in words, for error messages and the live page. */
export const TOPIC_RULE = '1 to 128 letters, digits and _ - . :'

const topicRegExp = new RegExp(TOPIC_PATTERN)

export function isValidTopic (topic: unknown): topic is string {
  return typeof topic === 'string' && topicRegExp.test(topic)
}

/** The `code` of an error frame. */
export const ErrorCode = {
  badJson: 'bad_json',
  unknownAction: 'unknown_action',
  invalidRequest: 'invalid_request',
  invalidTopic: 'invalid_topic',
  unsupportedData: 'unsupported_data',
  tooManySubscriptions: 'too_many_subscriptions',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  internal: 'internal_error'
} as const
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

/** WebSocket close codes proxyer uses (RFC 6455 section 7.4). */
export const CloseCode = {
  goingAway: 1001,
  policyViolation: 1008,
  /** private-use range: a client that does not read its frames */
  slowConsumer: 4008
} as const
