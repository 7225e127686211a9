/** Verifies the JWTs an application's backend issues to its browsers, with fast-jwt, and checks their claims. */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { createVerifier, TokenError } from 'fast-jwt'
import { AuthenticationError } from './identity.js'
import { claimsChecker, firstProblem, type TokenClaims } from './grants.js'

/** HS256 with a shared secret, or RS256/ES256 (chosen from the key's type) with a PEM public key. */
export type TokenKey = { secret: string } | { publicKey: KeyObject }

/** The one algorithm a key allows; anything else (`none` included) is refused. */
export function algorithmOf (key: TokenKey): 'HS256' | 'RS256' | 'ES256' {
  if ('secret' in key) return 'HS256'
  // a public key always has a type and details
  const type = key.publicKey.asymmetricKeyType as string
  if (type === 'rsa') return 'RS256'
  if (type === 'ec' && (key.publicKey.asymmetricKeyDetails as { namedCurve: string }).namedCurve === 'prime256v1') return 'ES256'
  throw new Error(`Invalid configuration: JWT_PUBLIC_KEY must be an RSA key (RS256) or a P-256 EC key (ES256), not ${type}`)
}

/** Reads a PEM public key, given as the key itself or a file's content. */
export function publicKeyFrom (pem: string): KeyObject {
  try {
    return createPublicKey(pem)
  } catch (err) {
    throw new Error(`Invalid configuration: JWT_PUBLIC_KEY is not a PEM public key (${(err as Error).message})`)
  }
}

const FAILURES: Partial<Record<string, string>> = {
  [TokenError.codes.expired]: 'The token has expired',
  [TokenError.codes.inactive]: 'The token is not valid yet (nbf)',
  [TokenError.codes.invalidSignature]: 'The token\'s signature does not match',
  [TokenError.codes.invalidAlgorithm]: 'The token\'s algorithm is not the one configured',
  [TokenError.codes.missingSignature]: 'The token is not signed'
}

export class TokenVerifier {
  private readonly verifier: (token: string) => unknown

  constructor (key: TokenKey) {
    const verifierKey = 'secret' in key ? key.secret : key.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    // one algorithm, pinned: a token naming another (`none` included) is refused before its signature is looked at
    this.verifier = createVerifier({ key: verifierKey, algorithms: [algorithmOf(key)] })
  }

  /** The token's claims, or an AuthenticationError saying what is wrong with it. */
  verify (token: string): TokenClaims {
    let payload: unknown
    try {
      payload = this.verifier(token)
    } catch (err) {
      const code = (err as TokenError).code
      if (code === TokenError.codes.expired) throw new AuthenticationError('expired', FAILURES[code] as string)
      throw new AuthenticationError('invalid', FAILURES[code] ?? 'The token is malformed')
    }
    if (!claimsChecker.Check(payload)) throw new AuthenticationError('invalid', `The token's claims do not fit: ${firstProblem(claimsChecker, payload)}`)
    return payload
  }
}
