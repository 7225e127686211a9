/** The waiting line of the embedded engine: jobs by sequence number in a Fenwick tree, so a place in line or the front costs O(log n). */
export class OrderedLine {
  private tree: Int32Array
  size = 0

  constructor (readonly capacity: number) {
    this.tree = new Int32Array(capacity + 1)
  }

  private update (seq: number, delta: number): void {
    for (let i = seq; i <= this.capacity; i += i & -i) this.tree[i] += delta
    this.size += delta
  }

  add (seq: number): void {
    this.update(seq, 1)
  }

  delete (seq: number): void {
    this.update(seq, -1)
  }

  /** 1-based place of a sequence number that is in the line. */
  rank (seq: number): number {
    let sum = 0
    for (let i = seq; i > 0; i -= i & -i) sum += this.tree[i]
    return sum
  }

  /** The smallest sequence number in the line, or 0 when it is empty. */
  first (): number {
    if (this.size === 0) return 0
    let pos = 0
    for (let step = 1 << Math.floor(Math.log2(this.capacity)); step > 0; step >>= 1) {
      if (pos + step <= this.capacity && this.tree[pos + step] < 1) pos += step
    }
    return pos + 1
  }
}
