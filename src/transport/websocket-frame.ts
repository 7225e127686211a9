/** RFC 6455 framing of the server's text frames: each publication framed once for all its subscribers. */
import type { Publication } from '../broker/publication.js'

/**
 * The publication as a whole WebSocket frame, built on its first delivery and kept on it, so each
 * subscriber costs one socket write of shared bytes.
 */
export function websocketFrameOf (publication: Publication): Buffer {
  publication.encoded ??= websocketTextFrame(publication.payload)
  return publication.encoded
}

/** A whole WebSocket text frame carrying `text` (a reply or an error frame). */
export function encodeTextFrame (text: string): Buffer {
  return websocketTextFrame(Buffer.from(text))
}

/** RFC 6455 5.2: FIN, opcode 1 (text), unmasked as a server sends it, then the payload. */
function websocketTextFrame (payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length), payload])
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
