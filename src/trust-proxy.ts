/** TRUST_PROXY: which proxies' X-Forwarded-For Fastify believes, as a hop count or a list of addresses. */
import { isIP } from 'node:net'

/** proxy-addr's names for address ranges, accepted as entries of the list */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

/** Fastify's `trustProxy`: false when unset (a client cannot forge its address), the nearest N hops, or addresses and CIDR ranges. */
export function trustProxy (value: string | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === undefined || value.trim() === '') return false
  if (/^\d+$/.test(value.trim())) {
    // what Fastify does with a number, written out because its types take no number
    const hops = Number(value)
    return (address, hop) => hop < hops
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  for (const entry of entries) {
    const [address, bits] = entry.split('/')
    if (!RANGE_NAMES.includes(entry) && (isIP(address as string) === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits)))) {
      throw new Error(`Invalid configuration: TRUST_PROXY entry "${entry}" is not an address, a CIDR range or one of ${RANGE_NAMES.join(', ')}; or give a hop count`)
    }
  }
  return entries
}
