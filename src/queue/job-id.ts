/** Job ids and receipts: 128 random bits each, in URL-safe base64, so none can be guessed. */
import { randomBytes } from 'node:crypto'

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/

export function newToken (): string {
  return randomBytes(16).toString('base64url')
}

/** Whether the string could be a job id at all; anything else is an unknown job without asking the engine. */
export function isJobId (id: string): boolean {
  return ID_PATTERN.test(id)
}
