/** Signs test tokens the way an application's backend would, with fast-jwt. */
import { generateKeyPairSync } from 'node:crypto'
import { createSigner } from 'fast-jwt'

export const SECRET = 'a-test-secret-of-at-least-32-characters!'
export const API_KEY = 'backend-key-0123456789abcdef'

/**
 * An HS256 token for SECRET; `exp` in seconds from `now` (negative: expired), by default the real time:
 * a test on a ManualClock passes clock.now(), so the token expires when that clock says it does.
 */
export function hsToken (claims: Record<string, unknown>, { secret = SECRET, expiresInSeconds = 60, now = Date.now() } = {}): string {
  return createSigner({ key: secret, algorithm: 'HS256' })({ exp: Math.floor(now / 1000) + expiresInSeconds, ...claims })
}

/** A token that says `alg: none` and has no signature. */
export function unsignedToken (claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 60, ...claims })}.`
}

export function keyPair (type: 'rsa' | 'ec'): { publicPem: string, sign: (claims: Record<string, unknown>) => string } {
  const { publicKey, privateKey } = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const signer = createSigner({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: type === 'rsa' ? 'RS256' : 'ES256' })
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), sign: (claims) => signer({ exp: Math.floor(Date.now() / 1000) + 60, ...claims }) }
}
