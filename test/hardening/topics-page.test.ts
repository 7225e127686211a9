/** GET /topics without paging parameters answers at most 1,000 topics with the cursor to continue: 2,500 topics come in three pages, each once. */
import t from 'tap'
import { eventually, getJson, MODES, publish, startApp, TestClient } from '../helper.js'

t.test('2,500 topics: pages of 1,000 in name order, `next` the cursor of the next one', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const publisher = await TestClient.connect(t, wsUrl)
  for (let i = 0; i < 2500; i++) publisher.send({ action: 'publish', topic: `t${String(i).padStart(4, '0')}`, message: i })
  await publisher.sync()
  const names: string[] = []
  const sizes: number[] = []
  let query = ''
  for (;;) {
    const page = await getJson(`${url}/topics${query}`)
    sizes.push(page.topics.length)
    names.push(...page.topics.map((s: { topic: string }) => s.topic))
    if (page.next === null) break
    query = `?cursor=${encodeURIComponent(page.next)}`
  }
  t.same(sizes, [1000, 1000, 500], 'the unpaged request answers the first 1,000 only')
  t.same(names, Array.from({ length: 2500 }, (_, i) => `t${String(i).padStart(4, '0')}`), 'every topic once, in name order')
})

for (const mode of MODES) {
  t.test(`${mode.name}: topics left by all their subscribers before a live one: short pages, each with the cursor to go on, until the live topic`, async (t) => {
    const { url, wsUrl } = await mode.start(t)
    const passing = await TestClient.connect(t, wsUrl)
    const left = Array.from({ length: 10 }, (_, i) => `a${i}`)
    for (const topic of left) await passing.request({ action: 'subscribe', topic })
    const subscribers = async (topic: string): Promise<number> => (await getJson(`${url}/topics/${topic}`)).subscribers ?? 0
    await eventually(async () => await subscribers('a9') === 1, 'the subscribed topics are listed')
    for (const topic of left) await passing.request({ action: 'unsubscribe', topic })
    await eventually(async () => await subscribers('a9') === 0, 'their subscribers are gone')
    await publish(url, 'b', 'live')
    // a page looks at a bounded number of names; the ones of topics gone are dropped as it meets them
    const pages: string[][] = []
    let query = ''
    do {
      const page = await getJson(`${url}/topics?limit=1${query}`)
      pages.push(page.topics.map((s: { topic: string }) => s.topic))
      query = page.next === null ? '' : `&cursor=${encodeURIComponent(page.next)}`
    } while (query !== '' && pages.length < 20)
    t.same(pages.flat(), ['b'], 'only the live topic is listed')
    t.ok(pages.every((page) => page.length <= 1), 'no page past its limit')
    t.same((await getJson(`${url}/topics?limit=1`)).topics.map((s: { topic: string }) => s.topic), ['b'], 'the names met are gone: the first page finds it now')
  })
}
