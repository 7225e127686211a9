/** ALLOWED_ORIGINS: the web origins whose pages may open sockets to proxyer and call its API. */

export class AllowedOrigins {
  /** true when any origin may (`*`, the default) */
  readonly any: boolean
  readonly list: readonly string[]

  /** `value`: comma-separated origins such as `https://zoo.example`, or `*`. */
  constructor (value: string) {
    const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
    this.any = entries.length === 0 || entries.includes('*')
    this.list = this.any ? [] : entries.map(checkedOrigin)
  }

  /**
   * May a request with this Origin header go on? A request without one is not from a web page's script
   * (browsers send Origin on every WebSocket upgrade and cross-site POST), so it may.
   */
  allows (origin: string | undefined): boolean {
    return this.any || origin === undefined || this.list.includes(origin)
  }
}

function checkedOrigin (entry: string): string {
  let origin: string | undefined
  try {
    origin = new URL(entry).origin
  } catch {}
  if (origin !== entry) {
    throw new Error(`Invalid configuration: ALLOWED_ORIGINS entry "${entry}" is not an origin: write scheme, host and port only, such as https://zoo.example`)
  }
  return entry
}
