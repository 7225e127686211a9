/** METRICS_ALLOW: the addresses and networks that may read /metrics, as a node:net BlockList. */
import { BlockList, isIP } from 'node:net'

/** Parses `127.0.0.1,10.0.0.0/8,::1`; undefined when empty (no address rule). Throws a sentence naming a bad entry. */
export function parseAllowList (spec: string): BlockList | undefined {
  const entries = spec.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  if (entries.length === 0) return undefined
  const list = new BlockList()
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/')
    const family = isIP(address)
    const prefix = Number(bits)
    const maxPrefix = family === 6 ? 128 : 32
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= maxPrefix))) {
      throw new Error(`Invalid configuration: METRICS_ALLOW entry "${entry}" must be an IP address or a network such as 10.0.0.0/8`)
    }
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, prefix, type)
  }
  return list
}

/** Whether a request's address is on the list; an IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d. */
export function isAllowed (list: BlockList, address: string): boolean {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
  const family = isIP(plain)
  return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
}
