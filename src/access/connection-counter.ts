/** Counts open WebSocket connections, per instance and per client address, against MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP. */

export interface ConnectionCaps {
  maxConnections?: number
  maxPerAddress?: number
}

export type Admission = 'admitted' | 'instance_full' | 'address_full'

export class ConnectionCounter {
  private total = 0
  /** only addresses with connections: memory follows the open connections */
  private readonly perAddress = new Map<string, number>()

  constructor (private readonly caps: ConnectionCaps) {}

  get size (): number {
    return this.total
  }

  /** Counts a connection from `address` in, unless a cap is reached; each admitted one must be released once. */
  admit (address: string): Admission {
    if (this.caps.maxConnections !== undefined && this.total >= this.caps.maxConnections) return 'instance_full'
    const fromAddress = this.perAddress.get(address) ?? 0
    if (this.caps.maxPerAddress !== undefined && fromAddress >= this.caps.maxPerAddress) return 'address_full'
    this.total++
    this.perAddress.set(address, fromAddress + 1)
    return 'admitted'
  }

  release (address: string): void {
    const fromAddress = this.perAddress.get(address)
    /* c8 ignore next: a guard, release() follows its admit() exactly once */
    if (fromAddress === undefined) return
    this.total--
    if (fromAddress === 1) this.perAddress.delete(address)
    else this.perAddress.set(address, fromAddress - 1)
  }
}
