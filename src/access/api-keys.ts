/** The backends' API keys, compared in constant time; known in logs only by a short fingerprint. */
import { createHash, timingSafeEqual } from 'node:crypto'

interface StoredKey {
  digest: Buffer
  fingerprint: string
}

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** A name for a key in logs: 8 hex digits of a hash, which tell nothing about the key itself. */
export function keyFingerprint (key: string): string {
  return `key:${createHash('sha256').update(`proxyer key fingerprint:${key}`).digest('hex').slice(0, 8)}`
}

export class ApiKeys {
  private readonly keys: StoredKey[]

  constructor (keys: readonly string[]) {
    this.keys = keys.map((key) => ({ digest: sha256(key), fingerprint: keyFingerprint(key) }))
  }

  get size (): number {
    return this.keys.length
  }

  /**
   * The fingerprint of the key `candidate` is, or undefined. Digests have one length whatever was sent,
   * and every key is compared, so the time taken tells neither how much matched nor which key.
   */
  match (candidate: string): string | undefined {
    const digest = sha256(candidate)
    let found: string | undefined
    for (const key of this.keys) {
      if (timingSafeEqual(digest, key.digest)) found = key.fingerprint
    }
    return found
  }
}
