/** A connection's publishes at the broker are bounded: past the window they wait, and start in their order as earlier ones settle. */
import t from 'tap'
import { PublishWindow } from '../../src/transport/publish-window.js'

t.test('at most `size` started at once; the rest start in order as slots free, failures free them too', async (t) => {
  const window = new PublishWindow(2)
  const started: number[] = []
  const settle: Array<(ok: boolean) => void> = []
  const runs = [1, 2, 3, 4].map(async (n) => window.run(async () => {
    started.push(n)
    return new Promise<number>((resolve, reject) => settle.push((ok) => { if (ok) resolve(n); else reject(new Error(`failed ${n}`)) }))
  }))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(started, [1, 2], 'two at once')
  settle[0](false)
  await t.rejects(runs[0], /failed 1/)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(started, [1, 2, 3], 'a failure frees its slot for the next in order')
  settle[1](true)
  t.equal(await runs[1], 2)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(started, [1, 2, 3, 4])
  settle[2](true)
  settle[3](true)
  t.same(await Promise.all(runs.slice(2)), [3, 4])
  started.length = 0
  await window.run(async () => started.push(5))
  t.same(started, [5], 'with the window empty again, one starts at once')
})
