/** A topic's epochs and offsets: fresh epochs, and whether a client at an offset can catch up. */
import { randomFillSync } from 'node:crypto'

const EPOCH_BYTES = 6

/** Random epochs, drawn in bulk: the Redis broker sends a fresh epoch with every publish, for a topic that has none. */
export class Epochs {
  private readonly entropy = Buffer.alloc(EPOCH_BYTES * 128)
  private used = this.entropy.length

  /** A fresh epoch tells clients that positions from before it mean nothing now. */
  next (): string {
    if (this.used === this.entropy.length) {
      randomFillSync(this.entropy)
      this.used = 0
    }
    this.used += EPOCH_BYTES
    return this.entropy.toString('base64url', this.used - EPOCH_BYTES, this.used)
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
