/** Runs a connection's requests in the client's order, while publishes behind nothing but publishes go to the broker at once. */
import type { PublishResult } from '../broker/broker.js'
import type { ClientRequest, PublishRequest } from '../contract/schemas.js'
import { PublishWindow } from './publish-window.js'

export interface RequestRunner {
  /** Starts a publish on the broker ahead of its turn. */
  startPublish (request: PublishRequest): Promise<PublishResult>
  /** Runs a request in its turn, with its publish already started when `publishing` is given. */
  run (request: ClientRequest, publishing?: Promise<PublishResult>): Promise<void>
}

export class RequestQueue {
  /** Requests run one after another, so replies and effects keep the client's order. */
  private tail: Promise<void> = Promise.resolve()
  /** Subscribes and the like still queued: a publish behind one must wait for it to run. */
  private waitingNonPublishes = 0
  /** Publishes started ahead of their turn, at most so many at the broker at once. */
  private readonly window = new PublishWindow()

  /** `onFault` hears an error a request's work raised: the queue goes on with the next one. */
  constructor (private readonly runner: RequestRunner, private readonly onFault: (err: unknown) => void) {}

  submit (request: ClientRequest): void {
    if (request.action === 'publish' && this.waitingNonPublishes === 0) {
      // publishes behind nothing but publishes go to the broker at once, pipelined (Redis keeps
      // their order); only their replies wait their turn
      const publishing = this.window.run(async () => this.runner.startPublish(request))
      // a failure is reported by run() in its turn, which awaits this same promise
      publishing.catch(() => {})
      this.enqueue(() => this.runner.run(request, publishing))
      return
    }
    if (request.action !== 'publish') this.waitingNonPublishes++
    this.enqueue(async () => {
      await this.runner.run(request)
      if (request.action !== 'publish') this.waitingNonPublishes--
    })
  }

  /** Runs `work` after every request already queued. */
  enqueue (work: () => void | Promise<void>): void {
    this.tail = this.tail.then(work).catch(this.onFault)
  }
}
