/** One page of the topic listing from a source read in name order: one more than asked tells whether another page follows. */
import type { TopicPage, TopicPageQuery, TopicStats } from './broker.js'

export async function topicPage (
  query: TopicPageQuery,
  read: (after: string | undefined, limit: number) => TopicStats[] | Promise<TopicStats[]>
): Promise<TopicPage> {
  const rows = await read(query.after, query.limit + 1)
  const topics = rows.slice(0, query.limit)
  const next = rows.length > query.limit ? (topics.at(-1) as TopicStats).topic : null
  return { topics, next }
}
