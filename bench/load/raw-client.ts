/**
 * A minimal WebSocket client over node:net that counts the frames it receives without parsing them.
 * It reads into one buffer shared by every client (net's `onread`), so a frame costs a header walk
 * and a byte or two of classification: the generator stays cheap next to the server it measures.
 */
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { PEEK_BYTES, type Dialect, type FrameKind } from './dialect.js'
import type { DeliveryCounter } from './delivery-counter.js'
import type { PublishingClient } from './publishing-client.js'
import type { Endpoint } from '../lib/types.js'

/** Sees each delivery with its index on this client and the time its chunk was read. */
export type DeliveryHook = (index: number, now: number) => void

const readBuffer = Buffer.allocUnsafe(256 * 1024)
const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const
const HANDSHAKE_LIMIT = 16 * 1024

interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

export class RawClient implements PublishingClient {
  /** Deliveries this client received. */
  delivered = 0
  replies = 0
  errors = 0
  closeCode: number | undefined
  hook: DeliveryHook | undefined
  /** Called at each reply or error frame: publishers waiting on replies refill from it. */
  onAnswer: (() => void) | undefined
  private readonly socket: Socket
  private head = ''
  private upgraded = false
  private partial: Buffer | undefined
  /** Payload bytes of the current frame still to pass over. */
  private skip = 0
  private nextId = 1
  private readonly replyWaiters: Waiter[] = []
  private readyWaiter: Waiter | undefined
  private readonly mask = randomBytes(4)

  constructor (
    private readonly endpoint: Endpoint,
    private readonly dialect: Dialect,
    private readonly counter: DeliveryCounter,
    /** Nchan's socket is subscribed to this topic by its path. */
    private readonly pathTopic?: string
  ) {
    this.socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      noDelay: true,
      // every read lands in the one shared buffer, handled before the next read
      onread: { buffer: readBuffer, callback: (bytes: number) => { this.read(readBuffer, bytes); return true } }
    })
    this.socket.on('error', (err) => this.fail(err))
    this.socket.on('close', () => this.fail(new Error('connection closed')))
  }

  /** Resolves once the WebSocket is open (and, for Socket.IO, the namespace joined). */
  open (): Promise<void> {
    return new Promise((resolve, reject) => {
      this.readyWaiter = { resolve, reject }
      this.socket.once('connect', () => {
        const key = randomBytes(16).toString('base64')
        this.socket.write(
          `GET ${this.dialect.path(this.pathTopic)} HTTP/1.1\r\nHost: ${this.endpoint.host}:${this.endpoint.port}\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
        )
      })
    })
  }

  /** Resolves at the server's reply; rejects on an error frame. */
  async subscribe (topic: string): Promise<void> {
    const replied = this.nextReply()
    this.sendText(this.dialect.subscribe(topic, this.nextId++))
    await replied
  }

  /** The next request id, for publishers that build their frames themselves. */
  takeId (): number {
    return this.nextId++
  }

  sendText (text: string): void {
    this.socket.write(this.frame(OPCODE.text, Buffer.from(text)))
  }

  /** Writes many text frames with one write. */
  sendTexts (texts: string[]): boolean {
    return this.socket.write(Buffer.concat(texts.map((text) => this.frame(OPCODE.text, Buffer.from(text)))))
  }

  /** Stops reading: the kernel buffers fill, then the server's queue for this client grows. */
  pause (): void {
    this.socket.pause()
  }

  resume (): void {
    this.socket.resume()
  }

  /** Resolves when the server closes this connection (close frame or end), or after `timeoutMs`. */
  closed (timeoutMs: number): Promise<boolean> {
    if (this.socket.destroyed) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  destroy (): void {
    this.socket.destroy()
  }

  private nextReply (): Promise<void> {
    return new Promise((resolve, reject) => this.replyWaiters.push({ resolve, reject }))
  }

  private read (buf: Buffer, bytes: number): void {
    if (this.upgraded) {
      this.frames(buf, 0, bytes)
      return
    }
    this.head += buf.toString('latin1', 0, bytes)
    const end = this.head.indexOf('\r\n\r\n')
    if (end < 0) {
      if (this.head.length > HANDSHAKE_LIMIT) this.fail(new Error('handshake response too long'))
      return
    }
    if (!this.head.startsWith('HTTP/1.1 101')) {
      this.fail(new Error(`upgrade refused: ${this.head.slice(0, this.head.indexOf('\r\n'))}`))
      this.socket.destroy()
      return
    }
    this.upgraded = true
    const rest = Buffer.from(this.head.slice(end + 4), 'latin1')
    this.head = ''
    if (!this.dialect.handshake) this.ready()
    if (rest.length > 0) this.frames(rest, 0, rest.length)
  }

  private frames (buf: Buffer, pos: number, end: number): void {
    if (this.partial !== undefined) {
      buf = Buffer.concat([this.partial, buf.subarray(pos, end)])
      pos = 0
      end = buf.length
      this.partial = undefined
    }
    let now = -1
    let deliveries = 0
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos)
        pos += n
        this.skip -= n
        continue
      }
      if (end - pos < 2) break
      const opcode = buf[pos] & 0x0f
      let length = buf[pos + 1] & 0x7f
      let header = 2
      if (length === 126) {
        if (end - pos < 4) break
        length = buf.readUInt16BE(pos + 2)
        header = 4
      } else if (length === 127) {
        if (end - pos < 10) break
        length = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6)
        header = 10
      }
      const peek = Math.min(length, PEEK_BYTES)
      if (end - pos < header + peek) break
      const start = pos + header
      if (opcode === OPCODE.text) {
        const kind = this.dialect.classify(buf, start, length)
        if (kind === 'delivery') {
          deliveries++
          const index = this.delivered++
          if (this.hook !== undefined) {
            if (now < 0) now = performance.now()
            this.hook(index, now)
          }
        } else {
          this.control(kind)
        }
      } else if (opcode === OPCODE.ping) {
        this.socket.write(this.frame(OPCODE.pong, Buffer.alloc(0)))
      } else if (opcode === OPCODE.close) {
        this.closeCode = length >= 2 ? buf.readUInt16BE(start) : 1005
        this.socket.end(this.frame(OPCODE.close, Buffer.from([this.closeCode >> 8, this.closeCode & 0xff])))
      }
      pos = start
      this.skip = length
    }
    // a frame cut before its header and first bytes: kept (copied, as the read buffer is shared)
    if (pos < end) this.partial = Buffer.from(buf.subarray(pos, end))
    if (deliveries > 0) {
      this.counter.delivered += deliveries
      this.counter.progress()
    }
  }

  private control (kind: FrameKind): void {
    switch (kind) {
      case 'reply':
        this.replies++
        this.replyWaiters.shift()?.resolve()
        this.onAnswer?.()
        break
      case 'error':
        this.errors++
        this.replyWaiters.shift()?.reject(new Error('the server answered with an error'))
        this.onAnswer?.()
        break
      case 'ping':
        this.sendText(this.dialect.pongFrame)
        break
      case 'open':
        this.sendText(this.dialect.connectFrame)
        break
      case 'connected':
        this.ready()
        break
    }
  }

  private ready (): void {
    this.readyWaiter?.resolve()
    this.readyWaiter = undefined
  }

  private fail (err: Error): void {
    this.readyWaiter?.reject(err)
    this.readyWaiter = undefined
    for (const waiter of this.replyWaiters.splice(0)) waiter.reject(err)
  }

  /** A masked client frame (RFC 6455 5.3); one mask per connection is enough for a server. */
  private frame (opcode: number, payload: Buffer): Buffer {
    const length = payload.length
    const header = length < 126 ? 6 : length < 65536 ? 8 : 14
    const out = Buffer.allocUnsafe(header + length)
    out[0] = 0x80 | opcode
    if (length < 126) {
      out[1] = 0x80 | length
    } else if (length < 65536) {
      out[1] = 0x80 | 126
      out.writeUInt16BE(length, 2)
    } else {
      out[1] = 0x80 | 127
      out.writeUInt32BE(0, 2)
      out.writeUInt32BE(length, 6)
    }
    const mask = this.mask
    mask.copy(out, header - 4)
    for (let i = 0; i < length; i++) out[header + i] = payload[i] ^ mask[i & 3]
    return out
  }
}
