/** GET /topics without paging parameters answers at most 1,000 topics with the cursor to continue: 2,500 topics come in three pages, each once. */
import t from 'tap'
import { getJson, startApp, TestClient } from '../helper.js'

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
