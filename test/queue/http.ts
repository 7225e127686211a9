/** HTTP calls a worker or a backend makes to the work queues, for the queue tests. */
export interface Reply {
  status: number
  headers: Headers
  body: any
}

export async function call (url: string, method: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers }
  if (body !== undefined) {
    init.body = typeof body === 'string' && contentType !== 'application/json' ? body : JSON.stringify(body)
    init.headers = { ...headers, 'content-type': contentType }
  }
  const response = await fetch(url, init)
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
}

/** A client of one proxyer's queue routes. */
export class QueueClient {
  constructor (private readonly url: string, private readonly queue = 'bookings') {}

  /** With `key`, as the Idempotency-Key header. */
  async enqueue (message: unknown, key?: string): Promise<Reply> {
    return call(`${this.url}/queues/${this.queue}/jobs`, 'POST', { message }, 'application/json', key === undefined ? {} : { 'idempotency-key': key })
  }

  async claim (body: Record<string, unknown> = {}): Promise<any[]> {
    const reply = await call(`${this.url}/queues/${this.queue}/claim`, 'POST', body)
    if (reply.status !== 200) throw new Error(`claim answered ${reply.status}: ${JSON.stringify(reply.body)}`)
    return reply.body.jobs
  }

  async ack (job: string, receipt: string, result?: unknown): Promise<Reply> {
    return call(`${this.url}/queues/${this.queue}/jobs/${job}/ack`, 'POST', { receipt, result })
  }

  async nack (job: string, receipt: string, fields: Record<string, unknown> = {}): Promise<Reply> {
    return call(`${this.url}/queues/${this.queue}/jobs/${job}/nack`, 'POST', { receipt, ...fields })
  }

  async job (job: string): Promise<Reply> {
    return call(`${this.url}/queues/${this.queue}/jobs/${job}`, 'GET')
  }

  async stats (): Promise<Reply> {
    return call(`${this.url}/queues/${this.queue}`, 'GET')
  }
}
