/** The structures behind wildcards, paging and idempotency: the pattern tree, the sorted names and the bounded key memory. */
import t from 'tap'
import { PatternTrie } from '../../src/broker/pattern-trie.js'
import { SortedNames } from '../../src/broker/sorted-names.js'
import { IdempotencyKeys } from '../../src/broker/idempotency-keys.js'
import { TopicRegistry } from '../../src/broker/topic-registry.js'
import { Publication } from '../../src/broker/publication.js'
import type { Subscriber } from '../../src/broker/broker.js'
import { topicMatches } from '../../src/contract/codes.js'

t.test('the pattern tree matches * as one segment and > as one or more, and prunes what it no longer needs', async (t) => {
  const trie = new PatternTrie<string>()
  for (const pattern of ['zoo.*.booked', 'zoo.>', '>', '*', 'zoo.north.booked', 'a.*.*']) trie.set(pattern, pattern)
  trie.set('zoo.>', 'zoo.>')
  t.equal(trie.size, 6, 'setting a pattern again does not count it twice')
  t.same(trie.match('zoo.north.booked').sort(), ['>', 'zoo.*.booked', 'zoo.>', 'zoo.north.booked'])
  t.same(trie.match('zoo').sort(), ['*', '>'], 'zoo.> needs a segment after zoo')
  t.same(trie.match('a.b.c').sort(), ['>', 'a.*.*'])
  t.equal(trie.get('zoo.>'), 'zoo.>')
  t.equal(trie.get('zoo.*.booked'), 'zoo.*.booked')
  t.equal(trie.get('nowhere.>'), undefined)
  t.equal(trie.get('zoo.*.paid'), undefined)
  for (const pattern of ['zoo.*.booked', 'zoo.>', '>', '*', 'zoo.north.booked']) trie.delete(pattern)
  trie.delete('zoo.>')
  trie.delete('nowhere.x')
  trie.delete('a.*')
  trie.delete('a.>')
  t.equal(trie.size, 1)
  t.same(trie.match('zoo.north.booked'), [])
  t.same(trie.match('a.b.c'), ['a.*.*'])
  trie.delete('a.*.*')
  t.same(trie.match('a.b.c'), [])
  t.equal(trie.size, 0)
})

t.test('the contract\'s topicMatches (the SDK\'s matcher) names the same topics as the server\'s pattern tree', async (t) => {
  const patterns = ['zoo.*.booked', 'zoo.>', '>', '*', 'zoo.north.booked', 'a.*.*', '*.b', 'a.>']
  const topics = ['zoo', 'zoo.north', 'zoo.north.booked', 'zoo.booked', 'zoo.a.b.booked', 'a', 'a.b', 'a.b.c', 'a.b.c.d', 'x.b']
  const trie = new PatternTrie<string>()
  for (const pattern of patterns) trie.set(pattern, pattern)
  for (const topic of topics) {
    t.same(patterns.filter((pattern) => topicMatches(pattern, topic)).sort(), trie.match(topic).sort(), topic)
  }
})

t.test('sorted names page from a prefix and a cursor, in code-unit order', async (t) => {
  const names = new SortedNames()
  for (const name of ['b', 'a.2', 'a.1', 'B', 'a.1', 'c']) names.add(name)
  t.equal(names.size, 5, 'a name is kept once')
  t.same(names.page('', undefined, 10), ['B', 'a.1', 'a.2', 'b', 'c'])
  t.same(names.page('a.', undefined, 10), ['a.1', 'a.2'])
  t.same(names.page('a.', 'a.1', 10), ['a.2'], 'after the cursor')
  t.same(names.page('a.', 'a.15', 10), ['a.2'], 'after a cursor that is gone')
  t.same(names.page('b', 'a', 10), ['b'], 'a cursor before the prefix starts at the prefix')
  t.same(names.page('', 'B', 2), ['a.1', 'a.2'])
  names.delete('a.1')
  names.delete('zz')
  t.same(names.page('', undefined, 10), ['B', 'a.2', 'b', 'c'])
})

t.test('idempotency keys expire after their TTL and are bounded in number', async (t) => {
  const keys = new IdempotencyKeys({ ttlMs: 1000, maxKeys: 2 })
  const result = (offset: number): any => ({ topic: 't', subscribers: 0, offset, epoch: 'e' })
  keys.remember('t', 'k1', result(1), 0)
  t.same(keys.get('t', 'k1', 999), result(1))
  t.equal(keys.get('u', 'k1', 999), undefined, 'per topic')
  t.equal(keys.get('t', 'k1', 1000), undefined, 'gone after the TTL')
  keys.remember('t', 'k1', result(1), 2000)
  keys.remember('t', 'k2', result(2), 2001)
  keys.remember('t', 'k3', result(3), 2002)
  t.equal(keys.get('t', 'k1', 2003), undefined, 'the oldest went past the bound')
  t.same(keys.get('t', 'k3', 2003), result(3))
})

t.test('the registry hands a frame from the every-topic subscription to each pattern subscriber once, skipping the topic\'s own', async (t) => {
  const registry = new TopicRegistry()
  const received = new Map<string, string[]>()
  const subscriber = (name: string): Subscriber => ({
    deliver: (publication) => {
      received.set(name, [...received.get(name) ?? [], publication.payload.toString()])
      return true
    }
  })
  const [exact, patterned, both, leaving] = ['exact', 'patterned', 'both', 'leaving'].map(subscriber)
  registry.add('zoo.*', patterned)
  registry.publishToPatterns('park.north', Publication.fromText('no pattern matches'), true)
  registry.publishToPatterns('zoo.north', Publication.fromText('one pattern, no topic entry'), true)
  registry.publishToPatterns('zoo.north', Publication.fromText('one pattern, not skipping'), false)
  // a topic entry left with nobody on it (its subscriber gone after a message)
  registry.add('zoo.south', leaving)
  registry.publish('zoo.south', Publication.fromText('to the topic'), Date.now(), true)
  registry.remove('zoo.south', leaving)
  registry.publishToPatterns('zoo.south', Publication.fromText('one pattern, an empty topic entry'), true)
  registry.add('zoo.east', exact)
  registry.add('zoo.*', exact)
  registry.publishToPatterns('zoo.east', Publication.fromText('skips who has the topic itself'), true)
  registry.add('zoo.>', both)
  registry.add('zoo.*', both)
  registry.publishToPatterns('zoo.west', Publication.fromText('two patterns'), true)
  t.same(received.get('patterned'), ['one pattern, no topic entry', 'one pattern, not skipping', 'one pattern, an empty topic entry', 'skips who has the topic itself', 'two patterns'])
  t.same(received.get('exact'), ['two patterns'], 'the topic\'s own subscriber got it on the topic\'s channel instead')
  t.same(received.get('both'), ['two patterns'], 'two matching patterns, one delivery')
  t.same(received.get('leaving'), ['to the topic'])
})
