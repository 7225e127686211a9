/** Subscription patterns (`*` one segment, `>` last for one or more) in a tree of segments, so a publish finds its matches by walking its topic, not the list. */

interface Node<T> {
  readonly exact: Map<string, Node<T>>
  any: Node<T> | undefined
  /** The value of the pattern that ends at this node. */
  end: T | undefined
  /** The value of the pattern with `>` after this node. */
  rest: T | undefined
}

function node<T> (): Node<T> {
  return { exact: new Map(), any: undefined, end: undefined, rest: undefined }
}

export class PatternTrie<T> {
  private readonly root = node<T>()
  private count = 0

  get size (): number {
    return this.count
  }

  get (pattern: string): T | undefined {
    const [at, last] = this.find(pattern, false)
    if (at === undefined) return undefined
    return last === '>' ? at.rest : at.end
  }

  set (pattern: string, value: T): void {
    const [at, last] = this.find(pattern, true) as [Node<T>, string]
    if ((last === '>' ? at.rest : at.end) === undefined) this.count++
    if (last === '>') at.rest = value
    else at.end = value
  }

  /** Removes the pattern and the branches it alone held up. */
  delete (pattern: string): void {
    const path: Array<[Node<T>, string]> = []
    let at = this.root
    const segments = pattern.split('.')
    for (const segment of segments.slice(0, -1)) {
      const next = step(at, segment)
      if (next === undefined) return
      path.push([at, segment])
      at = next
    }
    const last = segments.at(-1) as string
    if (last === '>') {
      if (at.rest === undefined) return
      at.rest = undefined
    } else {
      const leaf = step(at, last)
      if (leaf?.end === undefined) return
      leaf.end = undefined
      path.push([at, last])
    }
    this.count--
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, segment] = path[i]
      const child = step(parent, segment) as Node<T>
      if (child.end !== undefined || child.rest !== undefined || child.any !== undefined || child.exact.size > 0) break
      if (segment === '*') parent.any = undefined
      else parent.exact.delete(segment)
    }
  }

  /** The values of every pattern matching `topic`, each once. */
  match (topic: string): T[] {
    const found: T[] = []
    if (this.count > 0) collect(this.root, topic.split('.'), 0, found)
    return found
  }

  /** The node a pattern's last segment hangs from (the node itself for a name or `*`), and that segment. */
  private find (pattern: string, create: boolean): [Node<T> | undefined, string] {
    const segments = pattern.split('.')
    const last = segments.at(-1) as string
    const walkTo = last === '>' ? segments.slice(0, -1) : segments
    let at: Node<T> | undefined = this.root
    for (const segment of walkTo) {
      let next: Node<T> | undefined = step(at, segment)
      if (next === undefined) {
        if (!create) return [undefined, last]
        next = node()
        if (segment === '*') at.any = next
        else at.exact.set(segment, next)
      }
      at = next
    }
    return [at, last]
  }
}

function step<T> (at: Node<T>, segment: string): Node<T> | undefined {
  return segment === '*' ? at.any : at.exact.get(segment)
}

function collect<T> (at: Node<T>, segments: readonly string[], index: number, found: T[]): void {
  if (index === segments.length) {
    if (at.end !== undefined) found.push(at.end)
    return
  }
  // `>` needs one segment at least, and here there is one
  if (at.rest !== undefined) found.push(at.rest)
  const exact = at.exact.get(segments[index])
  if (exact !== undefined) collect(exact, segments, index + 1, found)
  if (at.any !== undefined) collect(at.any, segments, index + 1, found)
}
