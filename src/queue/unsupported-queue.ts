/** The work queues on a Redis Cluster: not built there yet, so every request is refused with a sentence saying so, never served per instance. */
import type { ClaimedJob, Consumption, EnqueueResult, FailedJob, HoldOutcome, JobStatus, QueueStats, WorkQueue } from './work-queue.js'

/** Thrown by every request to the work queues when they cannot run on this backend. */
export class QueuesUnsupportedError extends Error {
  constructor () {
    // the queue scripts touch keys of many hash slots at once (the queues index), which a Redis Cluster refuses
    super('Work queues are not available on a Redis Cluster (REDIS_CLUSTER_NODES) yet: run them with REDIS_URL')
    this.name = 'QueuesUnsupportedError'
  }
}

export class UnsupportedWorkQueue implements WorkQueue {
  readonly ready = true
  async enqueue (): Promise<EnqueueResult> { throw new QueuesUnsupportedError() }
  async claim (): Promise<ClaimedJob[]> { throw new QueuesUnsupportedError() }
  async ack (): Promise<HoldOutcome> { throw new QueuesUnsupportedError() }
  async nack (): Promise<HoldOutcome> { throw new QueuesUnsupportedError() }
  async extend (): Promise<HoldOutcome> { throw new QueuesUnsupportedError() }
  async status (): Promise<JobStatus | undefined> { throw new QueuesUnsupportedError() }
  async queues (): Promise<string[]> { throw new QueuesUnsupportedError() }
  async stats (): Promise<QueueStats | undefined> { throw new QueuesUnsupportedError() }
  async failed (): Promise<FailedJob[] | undefined> { throw new QueuesUnsupportedError() }
  async watch (): Promise<(() => void) | undefined> { throw new QueuesUnsupportedError() }
  consume (): Consumption { throw new QueuesUnsupportedError() }
  async close (): Promise<void> {}
}
