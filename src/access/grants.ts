/** What an identity may do, as JSON (ANONYMOUS) or JWT claims: pattern lists per action, checked with typebox. */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ValueError } from '@sinclair/typebox/errors'
import { Pattern } from './patterns.js'

export const ACCESS_ACTIONS = ['subscribe', 'publish', 'enqueue', 'consume'] as const
export type AccessAction = typeof ACCESS_ACTIONS[number]

const Patterns = Type.Array(Pattern, { maxItems: 1000 })

const grantFields = {
  subscribe: Type.Optional(Patterns),
  publish: Type.Optional(Patterns),
  enqueue: Type.Optional(Patterns),
  consume: Type.Optional(Patterns)
}

/** ANONYMOUS: only the grant lists, so a misspelt field is an error rather than a silent "nothing allowed". */
export const Grants = Type.Object(grantFields, { additionalProperties: false })
export type Grants = Static<typeof Grants>

/** A token's claims: who (`sub`), until when (`exp`, seconds), and its grants; other claims are ignored. */
export const TokenClaims = Type.Object({
  sub: Type.String({ minLength: 1, maxLength: 256 }),
  exp: Type.Optional(Type.Number()),
  ...grantFields
})
export type TokenClaims = Static<typeof TokenClaims>

export const grantsChecker = TypeCompiler.Compile(Grants)
export const claimsChecker = TypeCompiler.Compile(TokenClaims)

/** The first problem a checker found, as words: `"subscribe/0": Expected string to match ...`. */
export function firstProblem (checker: typeof grantsChecker | typeof claimsChecker, value: unknown): string {
  // only called after a failed Check, which always has an error
  const { path, message } = checker.Errors(value).First() as ValueError
  return path === '' ? message : `"${path.slice(1)}": ${message}`
}
