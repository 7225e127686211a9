/** The dependency-free part of the wire contract: error codes, close codes and the topic rule, loaded by the server, the SDK and browsers alike. */

/** Dot-separated segments of letters, digits and _ - :, so no name is only dots or starts, ends or doubles one; 1 to 128 in all. */
export const TOPIC_PATTERN = '^(?=.{1,128}$)[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$'

/** The topic rule in words, for error messages and the live page. */
export const TOPIC_RULE = '1 to 128 letters, digits and _ - : in segments joined by single dots (not "..", nor a dot at either end)'

/** Objects and arrays inside one another, at most, in a request: deeper ones are refused before parsing. */
export const MAX_JSON_DEPTH = 64

/**
 * What a subscribe or unsubscribe may name: a topic, or a pattern of its segments where `*` stands for
 * any one segment and `>`, as the last segment, for one or more. Publishes name a topic.
 */
export const TOPIC_FILTER_PATTERN = '^(?=.{1,128}$)(?:(?:[A-Za-z0-9_:-]+|\\*)\\.)*(?:[A-Za-z0-9_:-]+|\\*|>)$'

/** The filter rule in words. */
export const TOPIC_FILTER_RULE = `${TOPIC_RULE}; to subscribe, a segment may be * (any one segment) and the last one > (one or more)`

/** Idempotency keys: 1 to 128 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,128}$'

const topicRegExp = new RegExp(TOPIC_PATTERN)
const filterRegExp = new RegExp(TOPIC_FILTER_PATTERN)

export function isValidTopic (topic: unknown): topic is string {
  return typeof topic === 'string' && topicRegExp.test(topic)
}

export function isValidTopicFilter (filter: unknown): filter is string {
  return typeof filter === 'string' && filterRegExp.test(filter)
}

/** True for a valid filter that holds a wildcard segment, so it names topics by pattern. */
export function isTopicPattern (filter: string): boolean {
  return filter === '*' || filter === '>' || filter.startsWith('*.') || filter.endsWith('.*') || filter.endsWith('.>') || filter.includes('.*.')
}

/** Whether the valid filter `filter` (a topic, or a pattern) names the valid topic `topic`: the rule subscriptions are matched by. */
export function topicMatches (filter: string, topic: string): boolean {
  const wanted = filter.split('.')
  const segments = topic.split('.')
  for (const [i, want] of wanted.entries()) {
    if (want === '>') return segments.length > i
    if (i >= segments.length || (want !== '*' && want !== segments[i])) return false
  }
  return wanted.length === segments.length
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
  /** a publish was sent to the backend and no answer came: it may or may not have been published */
  outcomeUnknown: 'outcome_unknown',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  tokenExpired: 'token_expired',
  tooManyTopics: 'too_many_topics',
  queueFull: 'queue_full',
  unknownJob: 'unknown_job',
  notHeld: 'not_held',
  tooManyWatches: 'too_many_watches',
  internal: 'internal_error'
} as const
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

/** WebSocket close codes proxyer uses (RFC 6455 section 7.4). */
export const CloseCode = {
  goingAway: 1001,
  /** serving the connection raised an error: it alone is closed */
  internalError: 1011,
  /** private-use range: missing or bad credentials where they are required, or a token expired past its grace */
  unauthorized: 4001,
  /** private-use range: a client that does not read its frames */
  slowConsumer: 4008
} as const
