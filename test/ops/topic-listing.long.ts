/** The paged topic listing at scale, npm run test:long: 100,000 topics a page at a time in both modes, nothing skipped or repeated while topics come and go. */
import t from 'tap'
import { getJson, MODES, TestClient } from '../helper.js'

// two listings of 100,000 topics, each created in one burst, on a 2-core machine other jobs share
t.setTimeout(1_200_000)

const name = (i: number): string => `t.${String(i).padStart(6, '0')}`

for (const mode of MODES) {
  // MAX_TOPICS above the 100,000 topics and the ones added between pages. The burst's client runs in the
  // server's process: on a loaded machine its turns held the loop past the 5 s command timeout (a wall-clock
  // timer in ioredis), and publishes Redis had run were answered outcome_unknown; the readiness probe (2 s,
  // judged in free loop time) is what this scenario checks, so the timeout is longer
  const env = { MAX_TOPICS: 200_000, REDIS_COMMAND_TIMEOUT_MS: 30_000 }
  t.test(`${mode.name}: listing: 100,000 topics a page at a time, nothing skipped or repeated while topics come and go`, { timeout: 600_000 }, async (t) => {
    const { url, wsUrl } = await mode.start(t, env)
    const COUNT = 100_000
    const publisher = await TestClient.connect(t, wsUrl)
    // one unbroken burst: it holds the event loop for seconds, which must not pass for a Redis that does not answer
    for (let i = 0; i < COUNT; i++) publisher.send({ action: 'publish', topic: name(i), message: i })
    // requests run in order: the ping is answered after the last publish
    publisher.send({ action: 'ping', id: 'created' })
    await publisher.waitFor((f) => f.id === 'created', 400_000)
    t.same(publisher.frames.filter((f) => f.action === 'error'), [], 'every topic was created: none refused')
    // topics with subscribers only, removed (unsubscribed) while the listing runs
    const holder = await TestClient.connect(t, wsUrl)
    const fleeting = Array.from({ length: 100 }, (_, i) => `${name(i * 1000)}.held`)
    for (const topic of fleeting) await holder.request({ action: 'subscribe', topic })

    const first = await getJson(`${url}/topics`)
    t.equal(first.topics.length, 1000, 'plain GET /topics: the first 1,000 (the default page)')
    t.type(first.next, 'string')
    t.same((await getJson(`${url}/topics?prefix=t.00042&limit=5`)).topics.map((s: any) => s.topic), ['t.000420', 't.000421', 't.000422', 't.000423', 't.000424'])
    t.match(await getJson(`${url}/topics?prefix=t.00042&limit=100`), { next: null }, 'the last page of a prefix says so')
    t.match(await getJson(`${url}/topics?cursor=bm90IG91cnM_`), { statusCode: 400, code: 'PROXYER_BAD_CURSOR' })

    const seen: string[] = []
    let cursor: string | null = null
    let page = 0
    const ahead: string[] = []
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`
      const body: any = await getJson(`${url}/topics?prefix=t.&limit=1000${query}`)
      seen.push(...body.topics.map((s: any) => s.topic))
      cursor = body.next
      // between pages: a topic appears ahead of and behind the cursor, and a held one goes
      const created = `${name((page + 1) * 1000 + 500)}.new`
      await publisher.request({ action: 'publish', topic: created, message: page })
      if (cursor !== null && created > Buffer.from(cursor, 'base64url').toString()) ahead.push(created)
      await publisher.request({ action: 'publish', topic: `${name(page * 1000)}.late`, message: page })
      if (page < fleeting.length) await holder.request({ action: 'unsubscribe', topic: fleeting[COUNT / 1000 - 1 - page] })
      page++
    } while (cursor !== null)
    t.equal(new Set(seen).size, seen.length, 'no topic listed twice')
    t.ok(seen.every((topic, i) => i === 0 || seen[i - 1] < topic), 'in name order')
    const listed = new Set(seen)
    t.equal(Array.from({ length: COUNT }, (_, i) => name(i)).filter((topic) => !listed.has(topic)).length, 0, 'every topic there throughout is listed')
    t.ok(ahead.length > 90 && ahead.every((topic) => listed.has(topic)), 'topics created ahead of the cursor are listed')
  })
}
