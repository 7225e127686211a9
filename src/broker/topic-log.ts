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
  private touched = Date.now()

  constructor (private readonly limits: HistoryLimits, readonly epoch: string) {}

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

export function toHistoryEntry (entry: LogEntry): HistoryEntry {
  return { offset: entry.offset, message: entry.message, publishedAt: new Date(entry.at).toISOString() }
}
