/**
 * The wire formats the generator speaks: proxyer's JSON protocol (also spoken by the ws floor),
 * Socket.IO's (Engine.IO packets over WebSocket) and Nchan's (the topic in the URL, raw messages,
 * HTTP POST to publish). Frames are told apart by a few bytes, never parsed.
 */
import type { ServerKind } from '../lib/types.js'

export type FrameKind = 'delivery' | 'reply' | 'error' | 'ping' | 'open' | 'connected' | 'other'

export interface Dialect {
  /** The WebSocket's path; Nchan subscribes a socket to the topic in it. */
  path (topic: string | undefined): string
  /** Nchan: subscribing is opening `path(topic)`, and publishing is an HTTP POST on a connection of its own. */
  readonly topicInPath: boolean
  /** Socket.IO waits for Engine.IO's open packet, answers with a namespace connect, and waits for its reply. */
  readonly handshake: boolean
  /** The frame answering an application-level ping (Engine.IO's heartbeat). */
  readonly pongFrame: string
  /** The frame answering the open packet. */
  readonly connectFrame: string
  subscribe (topic: string, id: number): string
  /** `message` is already JSON. A WebSocket text frame's payload, or for Nchan a whole HTTP request. */
  publish (topic: string, message: string, id: number): string
  /** Reads at most the first `PEEK_BYTES` of the payload. */
  classify (buf: Buffer, start: number, length: number): FrameKind
}

/** How much of a text frame's payload `classify` may look at. */
export const PEEK_BYTES = 24

const OPEN_BRACE = 0x7b
const QUOTE = 0x22
const CHAR = { p: 0x70, e: 0x65, s: 0x73, u: 0x75, 0: 0x30, 2: 0x32, 3: 0x33, 4: 0x34, bracket: 0x5b } as const

/** `{"action":"publish",` is a delivery; `{"action":"published"`, `subscribed`, ... are replies. */
const jsonDialect: Dialect = {
  path: () => '/message',
  topicInPath: false,
  handshake: false,
  pongFrame: '',
  connectFrame: '',
  subscribe: (topic, id) => `{"action":"subscribe","topic":${JSON.stringify(topic)},"id":${id}}`,
  publish: (topic, message, id) => `{"action":"publish","topic":${JSON.stringify(topic)},"message":${message},"id":${id}}`,
  classify (buf, start, length) {
    if (length < 19 || buf[start] !== OPEN_BRACE) return 'other'
    const first = buf[start + 11]
    if (first === CHAR.p) return buf[start + 18] === QUOTE ? 'delivery' : 'reply'
    if (first === CHAR.e) return 'error'
    if (first === CHAR.s || first === CHAR.u) return 'reply'
    return 'other'
  }
}

/** Engine.IO: 0 open, 2 ping; Socket.IO inside 4: 40 connected, 42[ event, 43 ack, 44 connect error. */
const socketIoDialect: Dialect = {
  path: () => '/socket.io/?EIO=4&transport=websocket',
  topicInPath: false,
  handshake: true,
  pongFrame: '3',
  connectFrame: '40',
  subscribe: (topic, id) => `42${id}["subscribe",${JSON.stringify(topic)}]`,
  publish: (topic, message, id) => `42${id}["publish",${JSON.stringify(topic)},${message}]`,
  classify (buf, start, length) {
    const first = buf[start]
    if (length === 1 && first === CHAR[2]) return 'ping'
    if (first === CHAR[0]) return 'open'
    if (first !== CHAR[4] || length < 2) return 'other'
    const second = buf[start + 1]
    if (second === CHAR[2]) return length > 2 && buf[start + 2] === CHAR.bracket ? 'delivery' : 'other'
    if (second === CHAR[3]) return 'reply'
    if (second === CHAR[0]) return 'connected'
    if (second === CHAR[4]) return 'error'
    return 'other'
  }
}

/**
 * bench/servers/nchan.conf: a WebSocket on /sub/TOPIC gets each message as it was posted to
 * /pub/TOPIC, nothing else; the generator's messages start with `{"seq":`.
 */
const nchanDialect: Dialect = {
  path: (topic) => `/sub/${topic ?? ''}`,
  topicInPath: true,
  handshake: false,
  pongFrame: '',
  connectFrame: '',
  subscribe: () => '',
  publish: (topic, message) => `POST /pub/${topic} HTTP/1.1\r\nHost: bench\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  classify (buf, start, length) {
    return length >= 7 && buf[start] === OPEN_BRACE && buf[start + 2] === CHAR.s ? 'delivery' : 'other'
  }
}

export function dialectOf (server: ServerKind): Dialect {
  if (server === 'socketio') return socketIoDialect
  return server === 'nchan' ? nchanDialect : jsonDialect
}
