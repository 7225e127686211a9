/**
 * A message on a topic's channel holds the frames of one or more publishes (publish.lua sends a turn's
 * publishes to a topic together), joined by '\n': a frame is JSON text, which never holds a raw newline.
 */
const NEWLINE = 0x0a

/** Calls `each` with every frame of the message, in order, as views into it (no copy). */
export function forEachFrame (message: Buffer, each: (frame: Buffer) => void): void {
  let from = 0
  for (let end = message.indexOf(NEWLINE); end !== -1; end = message.indexOf(NEWLINE, from)) {
    each(message.subarray(from, end))
    from = end + 1
  }
  each(from === 0 ? message : message.subarray(from))
}
