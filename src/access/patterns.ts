/** Topic and queue patterns (exact names, `*` for one dot-separated segment, `>` last for the rest), compiled into a tree walked per check. */
import { Type } from '@sinclair/typebox'

const SEGMENT = '[A-Za-z0-9_:-]+'
/** Dot-separated segments: a name's segment or `*`, and `>` only as the last one. */
export const PATTERN = `^(?:(?:${SEGMENT}|\\*)\\.)*(?:${SEGMENT}|\\*|>)$`
export const Pattern = Type.String({ pattern: PATTERN, maxLength: 128, description: 'a topic name; * for one dot-separated segment, > as last segment for the rest' })

interface Node {
  readonly exact: Map<string, Node>
  any?: Node
  /** a pattern ends here */
  end: boolean
  /** a pattern has `>` here: one or more further segments match */
  rest: boolean
}

function node (): Node {
  return { exact: new Map(), end: false, rest: false }
}

/**
 * A set of patterns checked without a regular expression per pattern: a check walks the
 * name's segments down a tree shared by all patterns, so its cost follows the name, not the list.
 */
export class PatternSet {
  private readonly root = node()

  /** Patterns are expected valid (checked against PATTERN where they are read). */
  constructor (patterns: readonly string[]) {
    for (const pattern of patterns) this.add(pattern)
  }

  /** True when `>` alone is in the set: every name matches. */
  get matchesEverything (): boolean {
    return this.root.rest
  }

  matches (name: string): boolean {
    return walk(this.root, name.split('.'), 0)
  }

  private add (pattern: string): void {
    let at = this.root
    for (const segment of pattern.split('.')) {
      if (segment === '>') {
        at.rest = true
        return
      }
      if (segment === '*') {
        at.any ??= node()
        at = at.any
        continue
      }
      let next = at.exact.get(segment)
      if (next === undefined) {
        next = node()
        at.exact.set(segment, next)
      }
      at = next
    }
    at.end = true
  }
}

function walk (at: Node, segments: readonly string[], index: number): boolean {
  if (index === segments.length) return at.end
  if (at.rest) return true
  const exact = at.exact.get(segments[index] as string)
  if (exact !== undefined && walk(exact, segments, index + 1)) return true
  return at.any !== undefined && walk(at.any, segments, index + 1)
}
