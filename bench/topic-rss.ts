/**
 * npm run bench:topic-rss: whether the memory of expired topics is reused. One embedded instance (the
 * compiled server) gets 100,000 new topics from one socket, lets them expire (TOPIC_TTL_SECONDS), and again,
 * for a few rounds; its RSS (VmRSS) is read at each step. Memory reused: later rounds peak near the first.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { InstanceProcess } from '../test/instance-process.js'

const TOPICS = Number(process.env.RSS_TOPICS ?? 100_000)
const ROUNDS = Number(process.env.RSS_ROUNDS ?? 3)
const TTL_SECONDS = 5
const BATCH = 5000

function rssMb (pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? ''
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024)
}

/** Publishes one message to each of `count` new topics, a batch at a time, each batch ended by an answered ping. */
async function createTopics (wsUrl: string, round: number, count: number): Promise<void> {
  const socket = new WebSocket(wsUrl)
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject) })
  let errors = 0
  let firstError = ''
  let pong: (() => void) | undefined
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString())
    if (frame.action === 'error' && errors++ === 0) firstError = String(frame.error)
    if (frame.action === 'pong') pong?.()
  })
  for (let from = 0; from < count; from += BATCH) {
    for (let i = from; i < Math.min(count, from + BATCH); i++) socket.send(JSON.stringify({ action: 'publish', topic: `r${round}.t${i}`, message: { i } }))
    await new Promise<void>((resolve) => { pong = resolve; socket.send(JSON.stringify({ action: 'ping', id: from })) })
  }
  socket.close()
  if (errors > 0) throw new Error(`${errors} publishes refused, the first: ${firstError}`)
}

async function topicCount (url: string): Promise<number> {
  const { topics } = await (await fetch(`${url}/topics?limit=1`)).json() as { topics: unknown[] }
  return topics.length
}

const steps: Array<() => unknown> = []
try {
  const instance = await InstanceProcess.start({ teardown: (fn) => steps.push(fn) }, {
    TOPIC_TTL_SECONDS: TTL_SECONDS, HISTORY_TTL: TTL_SECONDS, MAX_TOPICS: TOPICS * 2
  })
  const rows: Array<Record<string, number>> = []
  const baseline = rssMb(instance.pid)
  for (let round = 1; round <= ROUNDS; round++) {
    await createTopics(instance.wsUrl, round, TOPICS)
    const created = rssMb(instance.pid)
    // the sweep runs every TOPIC_TTL_SECONDS: once the listing is empty, one more sweep drops the histories
    while (await topicCount(instance.url) > 0) await sleep(500)
    await sleep(2 * TTL_SECONDS * 1000)
    rows.push({ round, 'RSS before (MB)': round === 1 ? baseline : (rows.at(-1)?.['RSS after expiry (MB)'] ?? 0), 'RSS with topics (MB)': created, 'RSS after expiry (MB)': rssMb(instance.pid) })
  }
  console.log(`${TOPICS} topics per round, embedded mode, TOPIC_TTL_SECONDS=HISTORY_TTL=${TTL_SECONDS}`)
  console.table(rows)
} finally {
  for (const step of steps.reverse()) await step()
}
