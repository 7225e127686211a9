/** Permissions: for each action, the names an identity may act on. */
import { ACCESS_ACTIONS, type AccessAction, type Grants } from './grants.js'
import { PatternSet } from './patterns.js'

export class Permissions {
  /** Everything allowed: API keys, and every client when no identity is configured. */
  static readonly all = new Permissions(Object.fromEntries(ACCESS_ACTIONS.map((action) => [action, ['>']])))

  private readonly sets: Record<AccessAction, PatternSet>

  constructor (grants: Grants) {
    this.sets = {
      subscribe: new PatternSet(grants.subscribe ?? []),
      publish: new PatternSet(grants.publish ?? []),
      enqueue: new PatternSet(grants.enqueue ?? []),
      consume: new PatternSet(grants.consume ?? [])
    }
  }

  /** May `action` be done on the topic or queue `name`? */
  can (action: AccessAction, name: string): boolean {
    return this.sets[action].matches(name)
  }

  /** May `action` be done on every name (a `>` grant)? Global listings need this. */
  canEverything (action: AccessAction): boolean {
    return this.sets[action].matchesEverything
  }
}
