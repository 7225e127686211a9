/**
 * Nchan's publisher: HTTP/1.1 requests pipelined on one keep-alive connection over node:net, each
 * response counted from its status line and Content-Length, so a publish costs the generator about
 * what a WebSocket publish does (node:http would cost it a request object and a parser per publish).
 */
import { connect, type Socket } from 'node:net'
import type { PublishingClient } from './publishing-client.js'
import type { Endpoint } from '../lib/types.js'

const HEAD_END = '\r\n\r\n'
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i

export class RawHttpClient implements PublishingClient {
  replies = 0
  errors = 0
  onAnswer: (() => void) | undefined
  private readonly socket: Socket
  private input = ''
  private nextId = 1

  constructor (endpoint: Endpoint) {
    this.socket = connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
    this.socket.setEncoding('latin1')
    this.socket.on('data', (chunk: string) => this.read(chunk))
    // a publisher whose connection broke stops getting answers; the run's lost count shows it
    this.socket.on('error', () => {})
  }

  open (): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve)
      this.socket.once('error', reject)
    })
  }

  takeId (): number {
    return this.nextId++
  }

  sendText (text: string): void {
    this.socket.write(text, 'latin1')
  }

  sendTexts (texts: string[]): boolean {
    return this.socket.write(texts.join(''), 'latin1')
  }

  destroy (): void {
    this.socket.destroy()
  }

  private read (chunk: string): void {
    this.input += chunk
    let at = 0
    let answered = false
    for (;;) {
      const end = this.input.indexOf(HEAD_END, at)
      if (end < 0) break
      const head = this.input.slice(at, end)
      const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0)
      const next = end + HEAD_END.length + length
      if (next > this.input.length) break
      // Nchan answers 201 (delivered to subscribers) or 202 (queued)
      if (head.startsWith('HTTP/1.1 2')) this.replies++
      else this.errors++
      answered = true
      at = next
    }
    this.input = this.input.slice(at)
    if (answered) this.onAnswer?.()
  }
}
