/** Who is on the other end of a request or connection, and what it may do. */
import type { AccessAction } from './grants.js'
import type { Permissions } from './permissions.js'

/** A token bucket's figures: `perSecond` sustained, up to `burst` at once. */
export interface RateLimit {
  perSecond: number
  burst: number
}

export type IdentityKind = 'key' | 'token' | 'anonymous'

export class Identity {
  constructor (
    readonly kind: IdentityKind,
    /** for logs: a key's fingerprint, a token's `sub`, or `anonymous`; never a secret */
    readonly id: string,
    readonly permissions: Permissions,
    /** the request rate allowed per connection; undefined: not limited */
    readonly rateLimit: RateLimit | undefined,
    /** when a token stops being valid, in ms since the epoch; undefined: never */
    readonly expiresAt?: number
  ) {}

  can (action: AccessAction, name: string): boolean {
    return this.permissions.can(action, name)
  }
}

/** Why credentials were refused: `expired` lets a client know a fresh token will do. */
export type AuthenticationFailure = 'expired' | 'invalid'

export class AuthenticationError extends Error {
  constructor (readonly reason: AuthenticationFailure, message: string) {
    super(message)
    this.name = 'AuthenticationError'
  }
}
