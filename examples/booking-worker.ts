/** The example booking service: takes bookings from the `bookings` queue at its own pace and confirms them on the `booked` topic. */

export interface BookingWorkerOptions {
  /** proxyer's base URL, e.g. http://127.0.0.1:3002 */
  url: string
  /** Bookings confirmed per second at most. */
  pace: number
  /** Share of bookings refused (nacked), 0 to 1, to watch retries and failures. */
  failureRate: number
  /** Sent as `Authorization: Bearer`, where proxyer has API_KEYS set (it needs consume on the queue, publish on the topic). */
  apiKey?: string
  queue?: string
  topic?: string
  log?: (line: string) => void
  random?: () => number
}

interface ClaimedBooking {
  job: string
  receipt: string
  message: unknown
  attempt: number
}

/** A booking as customers enqueue it: a visitor and a zone (any other message is booked for an unnamed visitor). */
function bookingOf (message: unknown): { visitor: string, zone: string } {
  const fields = typeof message === 'object' && message !== null ? message as Record<string, unknown> : {}
  return { visitor: String(fields.visitor ?? 'anonymous'), zone: String(fields.zone ?? 'general') }
}

export class BookingWorker {
  private readonly abort = new AbortController()
  private nextTicket = 1
  /** Bookings confirmed and refused so far. */
  readonly counts = { booked: 0, refused: 0 }

  constructor (private readonly options: BookingWorkerOptions) {}

  private get queueUrl (): string {
    return `${this.options.url}/queues/${this.options.queue ?? 'bookings'}`
  }

  private async post (path: string, body: unknown): Promise<Response> {
    return fetch(path, { method: 'POST', body: JSON.stringify(body), headers: this.headers('application/json'), signal: this.abort.signal })
  }

  private headers (contentType: string): Record<string, string> {
    const { apiKey } = this.options
    return apiKey === undefined ? { 'content-type': contentType } : { 'content-type': contentType, authorization: `Bearer ${apiKey}` }
  }

  /** Claims and confirms bookings until stop(); a proxyer that is away is retried every second. */
  async run (): Promise<void> {
    const { pace, log = () => {} } = this.options
    while (!this.abort.signal.aborted) {
      const started = Date.now()
      try {
        const response = await this.post(`${this.queueUrl}/claim`, { max: 1, waitMs: 20_000 })
        if (response.status !== 200) throw new Error(`claim answered ${response.status}`)
        const { jobs } = await response.json() as { jobs: ClaimedBooking[] }
        for (const job of jobs) await this.confirm(job)
        if (jobs.length === 0) continue
      } catch (err) {
        if (this.abort.signal.aborted) return
        log(`proxyer unreachable (${(err as Error).message}); retrying in 1 s`)
        await this.pause(1000)
        continue
      }
      await this.pause(1000 / pace - (Date.now() - started))
    }
  }

  /** Acks with the ticket and publishes `epoch-ms:visitor:ticket:zone` to the topic, or refuses it. */
  private async confirm (job: ClaimedBooking): Promise<void> {
    const { failureRate, random = Math.random, log = () => {} } = this.options
    if (random() < failureRate) {
      await this.post(`${this.queueUrl}/jobs/${job.job}/nack`, { receipt: job.receipt, error: 'no seat left in the zone' })
      this.counts.refused++
      log(`refused ${job.job} (attempt ${job.attempt})`)
      return
    }
    const { visitor, zone } = bookingOf(job.message)
    const ticket = this.nextTicket++
    // the job id is the idempotency key: a redelivered booking would keep its ticket in a real service
    const acked = await this.post(`${this.queueUrl}/jobs/${job.job}/ack`, { receipt: job.receipt, result: { ticket, zone } })
    if (acked.status !== 200) {
      log(`booking ${job.job} was no longer ours (${acked.status}); not confirmed`)
      return
    }
    const booked = `${Date.now()}:${visitor}:${ticket}:${zone}`
    await fetch(`${this.options.url}/publish/${this.options.topic ?? 'booked'}`, { method: 'POST', body: booked, headers: this.headers('text/plain') })
    this.counts.booked++
    log(`booked ${booked}`)
  }

  private async pause (ms: number): Promise<void> {
    if (ms <= 0 || this.abort.signal.aborted) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve()
      }, { once: true })
    })
  }

  stop (): void {
    this.abort.abort()
  }
}
