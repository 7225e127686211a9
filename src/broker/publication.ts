/** One published message as every subscriber receives it: the publish frame's JSON, made once per message. */

export class Publication {
  /**
   * The transport's encoding of `payload` for its sockets (a WebSocket frame), filled on first
   * delivery and shared by every subscriber: the broker never reads or writes it.
   */
  encoded: Buffer | undefined

  /** `payload` is the publish frame's JSON text (src/contract/frames.ts), as UTF-8. */
  constructor (readonly payload: Buffer) {}

  static fromText (text: string): Publication {
    return new Publication(Buffer.from(text))
  }

  /** The offset the frame carries; read only when a recovery needs it. */
  get offset (): number {
    return (JSON.parse(this.payload.toString()) as { offset: number }).offset
  }
}
