/** One published message as every subscriber receives it: the publish frame's JSON, made once per message. */

export class Publication {
  /**
   * The transport's encoding of `payload` for its sockets (a WebSocket frame), filled on first
   * delivery and shared by every subscriber: the broker never reads or writes it.
   */
  encoded: Buffer | undefined

  /**
   * `payload` is the publish frame's JSON text (src/contract/frames.ts), as UTF-8. `acceptedAt` is
   * performance.now() when this instance took the publish (in Redis mode, when its frame came from Redis),
   * where its publish-to-write time starts; replays and notices have none and are not timed.
   */
  constructor (readonly payload: Buffer, readonly acceptedAt?: number) {}

  static fromText (text: string, acceptedAt?: number): Publication {
    return new Publication(Buffer.from(text), acceptedAt)
  }

  /** The offset the frame carries; read only when a recovery needs it. */
  get offset (): number {
    return (JSON.parse(this.payload.toString()) as { offset: number }).offset
  }
}
