/** A topic's position and its last messages, in memory: the embedded broker's history. */
import type { HistoryEntry, HistoryLimits } from './broker.js'
import type { Publication } from './publication.js'
import { canCatchUp } from './position.js'

export interface LogEntry {
  offset: number
  publication: Publication
  message: unknown
  at: number
}

export class TopicLog {
  /** The last message's offset; 0 before any. */
  offset = 0
  private entries: LogEntry[] = []
  /** Bytes of the kept entries' frames. */
  private keptBytes = 0
  private touched = Date.now()

  constructor (private readonly limits: HistoryLimits, readonly epoch: string) {}

  /** Keeps the entry; returns the change in bytes kept (negative when older entries went). */
  append (entry: LogEntry): number {
    this.offset = entry.offset
    this.touched = entry.at
    if (this.limits.size === 0) return 0
    const before = this.keptBytes
    this.entries.push(entry)
    this.keptBytes += entry.publication.payload.length
    // trimmed in chunks so appending stays O(1) on average
    if (this.entries.length >= 2 * this.limits.size) this.drop(this.entries.length - this.limits.size)
    // past the byte bound the oldest go; the newest always stays, so a message is never lost to history as it is published
    let count = 0
    let freed = 0
    while (this.keptBytes - freed > this.limits.topicMaxBytes && count < this.entries.length - 1) freed += this.entries[count++].publication.payload.length
    if (count > 0) this.drop(count)
    return this.keptBytes - before
  }

  /** Forgets the oldest entries, down to the newest; returns the bytes freed. */
  trimOldest (): number {
    const before = this.keptBytes
    this.drop(Math.max(1, Math.floor(this.entries.length / 2)))
    return before - this.keptBytes
  }

  /** Bytes the log keeps. */
  get bytes (): number {
    return this.keptBytes
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

  private drop (count: number): void {
    for (let i = 0; i < count; i++) this.keptBytes -= this.entries[i].publication.payload.length
    this.entries = this.entries.slice(count)
  }

  /** The last message's time, or the log's creation, for forgetting idle topics. */
  get touchedAt (): number {
    return this.touched
  }
}

export function toHistoryEntry (entry: LogEntry): HistoryEntry {
  return { offset: entry.offset, message: entry.message, publishedAt: new Date(entry.at).toISOString() }
}
