/** One page of the cluster's topics and patterns by name, from the `names` index (topic-page.lua) and each topic's shard. */
import type { TopicPage, TopicPageQuery, TopicStats } from '../broker.js'
import type { ClusterFigures } from './cluster-figures.js'
import type { RedisKeys } from './keys.js'
import type { RedisClient } from './scripts.js'

export async function readTopicPage (commands: RedisClient, keys: RedisKeys, figures: ClusterFigures, liveSince: number, query: TopicPageQuery): Promise<TopicPage> {
  const topics: TopicStats[] = []
  let after = query.after ?? ''
  // names of topics gone are removed as a page meets them; at most 4 x limit are looked at, so a page stays O(limit)
  let budget = 4 * query.limit
  // one more than the page tells whether another follows
  while (topics.length <= query.limit && budget > 0) {
    const want = Math.min(query.limit + 1 - topics.length, budget)
    const [rows, done] = await commands.proxyerTopicPage(keys.names, keys.shared, liveSince, query.prefix, after, want)
    budget -= rows.length
    const published = await figures.publishFigures(rows.map(([name]) => name))
    const gone: string[] = []
    rows.forEach(([topic, subscribers, delivered, slowConsumers], i) => {
      const [, count, lastPublishedAt] = published[i]
      if (lastPublishedAt === null && subscribers === 0) gone.push(topic)
      else topics.push({ topic, subscribers, published: count, delivered, slowConsumers, lastPublishedAt })
    })
    if (gone.length > 0) await commands.zrem(keys.names, ...gone)
    if (rows.length > 0) after = rows[rows.length - 1][0]
    if (done === 1) {
      return { topics: topics.slice(0, query.limit), next: topics.length > query.limit ? topics[query.limit - 1].topic : null }
    }
  }
  if (topics.length > query.limit) return { topics: topics.slice(0, query.limit), next: topics[query.limit - 1].topic }
  // the budget spent among expired names: the next page goes on from there
  return { topics, next: after }
}
