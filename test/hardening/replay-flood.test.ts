/** A socket that stops reading and asks for the same full history a hundred times is cut with 4008; the server stays up, serves the others and holds bounded memory, in both modes. */
import t from 'tap'
import { eventually, getJson, MODES, TestClient } from '../helper.js'

const HISTORY = 1000
const PAD = 'x'.repeat(8 * 1024)

const modes = MODES

for (const mode of modes) {
  t.test(`${mode.name}: 100 subscribes with since from a socket that does not read cost at most MAX_QUEUED_BYTES`, async (t) => {
    const { url, wsUrl } = await mode.start(t)
    const publisher = await TestClient.connect(t, wsUrl)
    for (let i = 1; i <= HISTORY; i++) publisher.send({ action: 'publish', topic: 'booked', message: { i, pad: PAD } })
    const last = await publisher.request({ action: 'publish', topic: 'booked', message: 'last' })
    const epoch = last.epoch as string

    const before = process.memoryUsage().rss
    const attacker = await TestClient.connect(t, wsUrl)
    const closed = attacker.closed()
    attacker.stopReading()
    // each asks for the whole history again (offsets 2 to 1001): 8 MB a time, 800 MB in all if replays were not bounded
    for (let n = 0; n < 100; n++) attacker.send({ action: 'subscribe', topic: 'booked', since: { offset: 1, epoch } })
    // the instance's count of cuts: the topic's own figure misses a cut made at a reply rather than at a replayed message
    const cuts = async (): Promise<number> => Number(/^proxyer_slow_consumer_cuts_total (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1])
    await eventually(async () => await cuts() === 1, 'the reader of replays is cut', 30_000)
    const grown = process.memoryUsage().rss - before
    t.ok(grown < 200 * 1024 * 1024, `the server held ${Math.round(grown / 1024 / 1024)} MB more, not the 800 MB of every replay`)
    attacker.resumeReading()
    t.match(await closed, { code: 4008, reason: 'slow consumer' })

    const other = await TestClient.connect(t, wsUrl)
    t.match(await other.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed', offset: HISTORY + 1 }, 'another client is served')
    t.match(await getJson(`${url}/health`), { status: 'ok', connectionFaults: 0 }, 'the process is up and no connection failed')
  })
}
