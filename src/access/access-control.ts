/** Turns the credentials a client presents (an API key or a JWT, or none) into its Identity. */
import { ApiKeys } from './api-keys.js'
import type { Grants } from './grants.js'
import { AuthenticationError, Identity, type RateLimit } from './identity.js'
import { Permissions } from './permissions.js'
import { TokenVerifier, type TokenKey } from './token-verifier.js'

export interface AccessSettings {
  apiKeys: readonly string[]
  token?: TokenKey
  /** what clients without credentials may do once an identity is configured; default: read every topic */
  anonymous?: Grants
  /** RATE_LIMIT_PER_SECOND and RATE_LIMIT_BURST as set, undefined when unset */
  rateLimitPerSecond?: number
  rateLimitBurst?: number
}

export const DEFAULT_ANONYMOUS: Grants = { subscribe: ['>'] }
/** Per-connection requests a second for anonymous and token clients once an identity is configured. */
export const DEFAULT_RATE_LIMIT = 200

export class AccessControl {
  /** False when neither API keys nor a JWT key is configured: every client may do everything. */
  readonly secured: boolean
  /** The identity of a client that presents no credentials. */
  readonly anonymous: Identity
  /** Requests a second for anonymous and token clients (HTTP per address, sockets per connection); undefined: none. */
  readonly rateLimit: RateLimit | undefined
  private readonly keys: ApiKeys
  private readonly tokens: TokenVerifier | undefined

  constructor (settings: AccessSettings) {
    this.keys = new ApiKeys(settings.apiKeys)
    this.tokens = settings.token === undefined ? undefined : new TokenVerifier(settings.token)
    this.secured = this.keys.size > 0 || this.tokens !== undefined
    // with nothing configured, a per-connection limit stops no abuser (they open more sockets) and only cuts backends
    const perSecond = settings.rateLimitPerSecond ?? (this.secured ? DEFAULT_RATE_LIMIT : undefined)
    this.rateLimit = perSecond === undefined ? undefined : { perSecond, burst: settings.rateLimitBurst ?? 2 * perSecond }
    const anonymous = this.secured ? new Permissions(settings.anonymous ?? DEFAULT_ANONYMOUS) : Permissions.all
    this.anonymous = new Identity('anonymous', 'anonymous', anonymous, this.rateLimit)
  }

  /** Is `credential` one of the API keys? (Cheap: for limits that skip backends.) */
  isApiKey (credential: string | undefined): boolean {
    return credential !== undefined && this.keys.match(credential) !== undefined
  }

  /**
   * The identity behind a bearer credential (an API key or a JWT), or the anonymous identity when
   * there is none (or nothing is configured: all may do everything); throws AuthenticationError for
   * credentials that are not valid.
   */
  authenticate (credential: string | undefined): Identity {
    if (credential === undefined || !this.secured) return this.anonymous
    const key = this.keys.match(credential)
    if (key !== undefined) return new Identity('key', key, Permissions.all, undefined)
    if (this.tokens === undefined) throw new AuthenticationError('invalid', 'The credentials are not a known API key')
    const claims = this.tokens.verify(credential)
    const expiresAt = claims.exp === undefined ? undefined : claims.exp * 1000
    return new Identity('token', claims.sub, new Permissions(claims), this.rateLimit, expiresAt)
  }
}
