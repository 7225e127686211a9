/** One page of the cluster's topics and patterns by name, from the `names` index (topic-page.lua). */
import type { Redis } from 'ioredis'
import type { TopicPage, TopicPageQuery } from '../broker.js'
import type { RedisKeys } from './keys.js'

export async function readTopicPage (commands: Redis, keys: RedisKeys, liveSince: number, query: TopicPageQuery): Promise<TopicPage> {
  // one more than the page tells whether another follows
  const [rows, last, done] = await commands.proxyerTopicPage(keys.prefix, liveSince, query.prefix, query.after ?? '', query.limit + 1)
  const topics = rows.slice(0, query.limit).map(([topic, published, lastPublishedAt, subscribers, delivered, slowConsumers]) => ({
    topic,
    subscribers,
    published: Number(published),
    delivered,
    slowConsumers,
    lastPublishedAt: lastPublishedAt === '' ? null : new Date(Number(lastPublishedAt)).toISOString()
  }))
  let next: string | null = null
  if (rows.length > query.limit) next = topics[topics.length - 1].topic
  // the script stopped at its budget among expired names: the next page goes on from there
  else if (done === 0) next = last
  return { topics, next }
}
