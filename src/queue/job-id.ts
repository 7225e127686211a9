/** Job ids and receipts: 128 random bits each, in URL-safe base64, so none can be guessed. */
import { randomBytes } from 'node:crypto'

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/

/** Random bytes fetched this many tokens at a time: one call into the generator per 256 jobs or receipts rather than one each. */
const TOKENS_PER_FILL = 256
const TOKEN_BYTES = 16

/** Hands out tokens cut from a buffer of random bytes; no byte is handed out twice. */
export class TokenSource {
  private pool = Buffer.alloc(0)
  private offset = 0

  next (): string {
    if (this.offset === this.pool.length) {
      this.pool = randomBytes(TOKENS_PER_FILL * TOKEN_BYTES)
      this.offset = 0
    }
    const token = this.pool.toString('base64url', this.offset, this.offset + TOKEN_BYTES)
    this.offset += TOKEN_BYTES
    return token
  }
}

/** Whether the string could be a job id at all; anything else is an unknown job without asking the engine. */
export function isJobId (id: string): boolean {
  return ID_PATTERN.test(id)
}
