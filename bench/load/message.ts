/** The messages the generator publishes: a sequence number and a send time, padded to a size. */
import { performance } from 'node:perf_hooks'

/** Cached padding: the generator builds thousands of messages a second. */
export function messageMaker (padBytes: number): (seq: number) => string {
  const body = 'x'.repeat(padBytes)
  return (seq) => `{"seq":${seq},"sentAt":${performance.now().toFixed(3)},"body":"${body}"}`
}
