/** What a log line shows of a request: Fastify's usual fields, with a `?token=` in the URL masked. */

interface LoggedRequest {
  method: string
  url: string
  host: string
  ip: string
  socket?: { remotePort?: number }
}

/** The URL with the value of every `token` parameter replaced (keys are compared decoded, as the query parser reads them). */
export function urlWithoutToken (url: string): string {
  const start = url.indexOf('?')
  if (start === -1) return url
  const params = new URLSearchParams(url.slice(start + 1))
  if (!params.has('token')) return url
  const masked = [...params].map(([key, value]): [string, string] => [key, key === 'token' ? '[redacted]' : value])
  return `${url.slice(0, start)}?${new URLSearchParams(masked).toString()}`
}

export function requestSerializer (request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: urlWithoutToken(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}
