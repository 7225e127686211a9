/** RFC 6455 framing of the server's text frames: each publication framed once for all its subscribers. */
import type { Publication } from '../broker/publication.js'

/**
 * The publication as a whole WebSocket frame, built on its first delivery and kept on it, so each
 * subscriber costs one socket write of shared bytes.
 */
export function websocketFrameOf (publication: Publication): Buffer {
  if (publication.encoded !== undefined) return publication.encoded
  const { payload } = publication
  const frame = frameFor(payload.length)
  payload.copy(frame, frame.length - payload.length)
  publication.encoded = frame
  return frame
}

/** A whole WebSocket text frame carrying `text` (a reply or an error frame): one buffer, the text encoded into it. */
export function encodeTextFrame (text: string): Buffer {
  const length = Buffer.byteLength(text)
  const frame = frameFor(length)
  frame.write(text, frame.length - length)
  return frame
}

/**
 * A buffer for a frame of `length` payload bytes, its header written (RFC 6455 5.2: FIN, opcode 1
 * (text), unmasked as a server sends it) and its payload left to the caller: one allocation per
 * frame, sent once per publish and once per reply.
 */
function frameFor (length: number): Buffer {
  if (length < 126) {
    const frame = Buffer.allocUnsafe(2 + length)
    frame[0] = 0x81
    frame[1] = length
    return frame
  }
  if (length < 65536) {
    const frame = Buffer.allocUnsafe(4 + length)
    frame[0] = 0x81
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
    return frame
  }
  const frame = Buffer.allocUnsafe(10 + length)
  frame[0] = 0x81
  frame[1] = 127
  frame.writeBigUInt64BE(BigInt(length), 2)
  return frame
}
