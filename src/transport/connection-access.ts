/** One connection's identity: what it may do, its request rate, and its token's expiry with the grace to send a new one. */
import type { AccessAction } from '../access/grants.js'
import type { Identity } from '../access/identity.js'
import { TokenBucket } from '../access/token-bucket.js'
import type { Clock } from './clock.js'

/** Turns a credential into an Identity (access/access-control.ts); throws AuthenticationError for a bad one. */
export interface Authenticator {
  readonly anonymous: Identity
  authenticate (credential: string | undefined): Identity
}

export interface ExpiryHandler {
  /** The token expired: the client has `graceMs` to send a new one. */
  expired (graceMs: number): void
  /** No new token came within the grace. */
  lapsed (): void
}

/** setTimeout's longest delay; a token valid for longer is looked at again then. */
const LONGEST_TIMER = 2 ** 31 - 1

export class ConnectionAccess {
  private current: Identity
  private bucket: TokenBucket | undefined
  private cancelTimer: (() => void) | undefined
  /** Between the token's expiry and a new credential. */
  private expired = false

  constructor (
    identity: Identity,
    private readonly authenticator: Authenticator,
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly onExpiry: ExpiryHandler
  ) {
    this.current = identity
    this.bucket = identity.rateLimit === undefined ? undefined : new TokenBucket(identity.rateLimit, clock.now())
    this.watchExpiry()
  }

  get identity (): Identity {
    return this.current
  }

  /** True while the connection's token has expired and no new credential has come. */
  get inGrace (): boolean {
    return this.expired
  }

  /** May the connection do `action` on the topic or queue `name` now? */
  permits (action: AccessAction, name: string): boolean {
    return this.current.can(action, name)
  }

  /** Takes one request from the connection's rate; false: the request must be refused. */
  admit (): boolean {
    return this.bucket?.take(this.clock.now()) ?? true
  }

  /** Puts the identity `credential` proves in place of the current one; throws AuthenticationError for a bad one. */
  authenticate (credential: string): Identity {
    const identity = this.authenticator.authenticate(credential)
    // anonymous and token clients share one limit: a new token neither refills nor resets the bucket
    if (identity.rateLimit !== this.current.rateLimit) {
      this.bucket = identity.rateLimit === undefined ? undefined : new TokenBucket(identity.rateLimit, this.clock.now())
    }
    this.current = identity
    this.expired = false
    this.stop()
    this.watchExpiry()
    return identity
  }

  /** Cancels the expiry timer, once the connection has closed. */
  stop (): void {
    this.cancelTimer?.()
    this.cancelTimer = undefined
  }

  private watchExpiry (): void {
    const { expiresAt } = this.current
    if (expiresAt === undefined) return
    const left = expiresAt - this.clock.now()
    if (left > 0) {
      this.cancelTimer = this.clock.after(Math.min(left, LONGEST_TIMER), () => this.watchExpiry())
      return
    }
    // an expired token vouches for nothing: until a new one comes, requests are judged as anonymous
    // ones (the subscriptions held stay, so a client refreshing late misses no message)
    this.current = this.authenticator.anonymous
    this.expired = true
    this.onExpiry.expired(this.graceMs)
    this.cancelTimer = this.clock.after(this.graceMs, () => this.onExpiry.lapsed())
  }
}
