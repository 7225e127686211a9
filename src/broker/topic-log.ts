/** A topic's position and its last messages, in memory: the embedded broker's history. */
import { randomFillSync } from 'node:crypto'
import type { HistoryEntry } from './broker.js'
import type { PublishFrame } from '../publish-frame.js'

export interface LogEntry {
  offset: number
  frame: PublishFrame
  message: unknown
  at: number
}

export interface HistoryLimits {
  /** Messages kept per topic; 0 keeps none. */
  size: number
  /** How long a message is kept. */
  ttlMs: number
}

const EPOCH_BYTES = 6
/** Random bytes for epochs, drawn in bulk: the Redis broker sends a fresh epoch with every publish, for a topic that has none. */
const entropy = Buffer.alloc(EPOCH_BYTES * 128)
let entropyUsed = entropy.length

/** A fresh epoch tells clients that positions from before it mean nothing now. */
export function newEpoch (): string {
  if (entropyUsed === entropy.length) {
    randomFillSync(entropy)
    entropyUsed = 0
  }
  entropyUsed += EPOCH_BYTES
  return entropy.toString('base64url', entropyUsed - EPOCH_BYTES, entropyUsed)
}

export class TopicLog {
  readonly epoch = newEpoch()
  /** The last message's offset; 0 before any. */
  offset = 0
  private entries: LogEntry[] = []
  private touched = Date.now()

  constructor (private readonly limits: HistoryLimits) {}

  append (entry: LogEntry): void {
    this.offset = entry.offset
    this.touched = entry.at
    if (this.limits.size === 0) return
    this.entries.push(entry)
    // trimmed in chunks so appending stays O(1) on average
    if (this.entries.length >= 2 * this.limits.size) this.entries = this.entries.slice(-this.limits.size)
  }

  /** The kept, unexpired entries after `offset`, at most `limit`. */
  after (offset: number, limit = Infinity, now = Date.now()): LogEntry[] {
    const oldest = now - this.limits.ttlMs
    const kept = this.entries.slice(-this.limits.size).filter((entry) => entry.offset > offset && entry.at >= oldest)
    return kept.slice(0, limit)
  }

  /** Every message after `offset` is still kept, so a client there can catch up. */
  holdsAfter (offset: number, now = Date.now()): boolean {
    return canCatchUp(offset, this.offset, this.after(offset, 1, now)[0]?.offset)
  }

  /** The last message's time, or the log's creation, for forgetting idle topics. */
  get touchedAt (): number {
    return this.touched
  }
}

/**
 * Whether a client at `since` can catch up on a topic whose last offset is `last`, when
 * the first kept message after `since` has offset `firstKept`: both brokers decide alike.
 */
export function canCatchUp (since: number, last: number, firstKept: number | undefined): boolean {
  if (since === last) return true
  if (since > last) return false
  return firstKept === since + 1
}

export function toHistoryEntry (entry: LogEntry): HistoryEntry {
  return { offset: entry.offset, message: entry.message, publishedAt: new Date(entry.at).toISOString() }
}
