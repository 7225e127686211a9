/** A publish frame, serialized once and framed once for every subscriber of the message. */

export class PublishFrame {
  private framed: Buffer | undefined

  /** `payload` is the frame's JSON text, as UTF-8. */
  constructor (readonly payload: Buffer) {}

  static fromText (text: string): PublishFrame {
    return new PublishFrame(Buffer.from(text))
  }

  /**
   * The whole WebSocket text frame (RFC 6455 5.2: FIN, opcode 1, unmasked as a server
   * sends it), built on first use so each subscriber costs one socket write of shared bytes.
   */
  get wire (): Buffer {
    this.framed ??= Buffer.concat([frameHeader(this.payload.length), this.payload])
    return this.framed
  }

  /** The offset the frame carries; read only when a recovery needs it. */
  get offset (): number {
    return (JSON.parse(this.payload.toString()) as { offset: number }).offset
  }
}

/** A whole WebSocket text frame carrying `text`, unmasked as a server sends it. */
export function textFrame (text: string): Buffer {
  return PublishFrame.fromText(text).wire
}

function frameHeader (length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length])
  if (length < 65536) {
    const header = Buffer.alloc(4)
    header[0] = 0x81
    header[1] = 126
    header.writeUInt16BE(length, 2)
    return header
  }
  const header = Buffer.alloc(10)
  header[0] = 0x81
  header[1] = 127
  header.writeBigUInt64BE(BigInt(length), 2)
  return header
}
