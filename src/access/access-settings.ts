/** Reads the access part of the configuration (API_KEYS, JWT_SECRET or JWT_PUBLIC_KEY, ANONYMOUS, rate limits); a bad value stops the start with a sentence. */
import { readFileSync } from 'node:fs'
import type { Config } from '../config.js'
import type { AccessSettings } from './access-control.js'
import { firstProblem, type Grants, grantsChecker } from './grants.js'
import { algorithmOf, publicKeyFrom, type TokenKey } from './token-verifier.js'

/** Shortest key accepted: a guessable key would protect nothing. */
export const MIN_API_KEY_LENGTH = 16

type AccessConfig = Pick<Config, 'API_KEYS' | 'JWT_SECRET' | 'JWT_PUBLIC_KEY' | 'ANONYMOUS' | 'RATE_LIMIT_PER_SECOND' | 'RATE_LIMIT_BURST'>

export function accessSettings (config: AccessConfig): AccessSettings {
  const apiKeys = config.API_KEYS.split(',').map((key) => key.trim()).filter((key) => key !== '')
  if (apiKeys.some((key) => key.length < MIN_API_KEY_LENGTH)) {
    throw new Error(`Invalid configuration: API_KEYS: each key must be at least ${MIN_API_KEY_LENGTH} characters (for example \`openssl rand -hex 32\`)`)
  }
  const settings: AccessSettings = { apiKeys, rateLimitPerSecond: config.RATE_LIMIT_PER_SECOND, rateLimitBurst: config.RATE_LIMIT_BURST }
  const token = tokenKey(config)
  if (token !== undefined) settings.token = token
  if (config.ANONYMOUS !== undefined) settings.anonymous = anonymousGrants(config.ANONYMOUS)
  return settings
}

function tokenKey ({ JWT_SECRET, JWT_PUBLIC_KEY }: AccessConfig): TokenKey | undefined {
  if (JWT_SECRET !== undefined && JWT_PUBLIC_KEY !== undefined) {
    throw new Error('Invalid configuration: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256, ES256), not both')
  }
  if (JWT_SECRET !== undefined) return { secret: JWT_SECRET }
  if (JWT_PUBLIC_KEY === undefined) return undefined
  const key = { publicKey: publicKeyFrom(pemOf(JWT_PUBLIC_KEY)) }
  algorithmOf(key) // a key of another type stops the start here
  return key
}

/** The key itself (a .env file may write its line breaks as \n), or else the path of a file holding it. */
function pemOf (value: string): string {
  if (value.includes('-----BEGIN')) return value.replaceAll('\\n', '\n')
  try {
    return readFileSync(value, 'utf8')
  } catch (err) {
    throw new Error(`Invalid configuration: JWT_PUBLIC_KEY is neither a PEM key nor a readable file: ${(err as Error).message}`)
  }
}

function anonymousGrants (value: string): Grants {
  let grants: unknown
  try {
    grants = JSON.parse(value)
  } catch {
    throw new Error('Invalid configuration: ANONYMOUS is not JSON; write for example {"subscribe":[">"]}')
  }
  if (!grantsChecker.Check(grants)) {
    throw new Error(`Invalid configuration: ANONYMOUS ${firstProblem(grantsChecker, grants)}; write for example {"subscribe":["booked","board.*"]}`)
  }
  return grants
}
