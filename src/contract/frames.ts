/** The text of the frames the server sends, as the schemas in schemas.ts describe them. */
import type { ErrorCode } from './codes.js'
import type { Position, QueueFrame, RequestIdValue } from './schemas.js'

export function errorFrame (code: ErrorCode, error: string, id?: RequestIdValue): string {
  return JSON.stringify(id === undefined ? { action: 'error', code, error } : { action: 'error', code, error, id })
}

export function replyFrame (action: 'subscribed' | 'unsubscribed' | 'published' | 'pong' | 'authenticated', id: RequestIdValue | undefined, fields: Record<string, unknown>): string {
  return JSON.stringify({ action, id, ...fields })
}

/** A work-queue frame; the id goes first when the frame answers a request that carried one. */
export function queueFrame (frame: QueueFrame): string {
  return JSON.stringify(frame)
}

/**
 * The publish frame every subscriber receives, built once per publish. Its head is built
 * apart so that Redis can append the position it assigns (publish.lua, given the tail's
 * pieces from publishFrameTail() when the script is loaded).
 */
export function publishFrameHead (topic: string, message: unknown): string {
  return `{"action":"publish","topic":${JSON.stringify(topic)},"message":${JSON.stringify(message)}`
}

export function publishFrameTail (offset: number, epoch: string): string {
  return `,"offset":${offset},"epoch":${JSON.stringify(epoch)}}`
}

/** publishFrameTail() cut around its offset and its epoch, so the position is read back from a frame's end. */
const [BEFORE_OFFSET, BEFORE_EPOCH, END] = ((): string[] => {
  const [beforeOffset, rest] = publishFrameTail(1234567890, 'EPOCH').split('1234567890')
  return [beforeOffset, ...rest.split('EPOCH')]
})()

/** The position a publish frame carries, read from its tail alone: no parse of the message before it. */
export function publishFramePosition (frame: Buffer): Position {
  const at = frame.lastIndexOf(BEFORE_OFFSET)
  const epochAt = frame.indexOf(BEFORE_EPOCH, at)
  return {
    offset: Number(frame.toString('latin1', at + BEFORE_OFFSET.length, epochAt)),
    epoch: frame.toString('utf8', epochAt + BEFORE_EPOCH.length, frame.length - END.length)
  }
}

/**
 * Tells a topic's subscribers that messages published while this instance was cut from the others may be
 * missing; a pattern's, with no position (`position` undefined), as positions are per topic.
 */
export function resumedFrame (topic: string, position?: Position): string {
  return JSON.stringify({ action: 'resumed', topic, recovered: false, offset: position?.offset, epoch: position?.epoch })
}
