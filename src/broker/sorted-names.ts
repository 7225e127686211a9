/** Names in code-unit order (as Redis orders a ZSET by lex), for listing topics a page at a time from a cursor. */

export class SortedNames {
  private readonly names: string[] = []

  get size (): number {
    return this.names.length
  }

  add (name: string): void {
    const at = this.lowerBound(name)
    if (this.names[at] !== name) this.names.splice(at, 0, name)
  }

  delete (name: string): void {
    const at = this.lowerBound(name)
    if (this.names[at] === name) this.names.splice(at, 1)
  }

  /**
   * At most `limit` names that start with `prefix`, after `after` (exclusive) when given: a binary
   * search, then `limit` steps, whatever the number of names.
   */
  page (prefix: string, after: string | undefined, limit: number): string[] {
    const from = after !== undefined && after >= prefix ? this.upperBound(after) : this.lowerBound(prefix)
    const page: string[] = []
    for (let i = from; i < this.names.length && page.length < limit; i++) {
      const name = this.names[i]
      if (!name.startsWith(prefix)) break
      page.push(name)
    }
    return page
  }

  /** The first index whose name is not below `name`. */
  private lowerBound (name: string): number {
    let low = 0
    let high = this.names.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.names[mid] < name) low = mid + 1
      else high = mid
    }
    return low
  }

  /** The first index whose name is above `name`. */
  private upperBound (name: string): number {
    const at = this.lowerBound(name)
    return this.names[at] === name ? at + 1 : at
  }
}
