/** Bursts of requests over one socket, answered by id: what the access tests send and count. */
import type { Test } from 'tap'
import type { TestClient } from '../helper.js'

/** Sends every frame at once, then resolves with the answer to each id (an answer to an id twice fails the test). */
export async function burst (t: Test, client: TestClient, frames: Array<Record<string, unknown>>): Promise<Map<unknown, any>> {
  for (const frame of frames) client.send(frame)
  const last = frames.at(-1)?.id
  await client.waitFor((f) => f.id === last, 120_000)
  const answers = new Map<unknown, any>()
  const twice: unknown[] = []
  for (const frame of client.frames) {
    if (frame.id === undefined) continue
    if (answers.has(frame.id)) twice.push(frame.id)
    answers.set(frame.id, frame)
  }
  t.same(twice, [], 'no request answered twice')
  return answers
}

export function publishes (count: number, topic: string): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({ action: 'publish', topic, message: i, id: i }))
}

export function countBy (answers: Map<unknown, any>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const answer of answers.values()) {
    const kind = answer.action === 'error' ? answer.code : answer.action
    counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}
