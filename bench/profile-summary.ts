/**
 * Summarizes a V8 .cpuprofile (from `npm run bench -- --profile`): self time by function, and by
 * package or file, so that what limits a server shows at a glance.
 * usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [rows] [--window=FROM:TO]
 * --window keeps the samples between two monotonic-clock µs readings: the bench notes a profiled
 * run's measurement window so, leaving out start-up, connection set-up and warm-up.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  hitCount?: number
}

interface Profile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

function where (url: string): string {
  if (url === '') return '(native or V8)'
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.startsWith('node:')) return url
  return url.replace(/^file:\/\/.*?\/(dist|bench|src)\//, '$1/')
}

function top (totals: Map<string, number>, all: number, rows: number): string {
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, rows)
    .map(([name, us]) => `${(us / all * 100).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`)
    .join('\n')
}

/**
 * What a server's time goes to, coarser than files: the areas a cost per publish or per delivery is
 * spent in. First match wins; (idle) is time waiting for the event loop's next event.
 */
const AREAS: Array<[area: string, test: (functionName: string, place: string) => boolean]> = [
  ['idle', (f) => f === '(idle)'],
  ['write syscall (writeBuffer, writev)', (f, p) => p === '(native or V8)' && /^write(Buffer|v|Utf8String|Latin1String)$/.test(f)],
  ['garbage collection', (f) => f === '(garbage collector)'],
  ['request parse and validation (JSON, typebox)', (f, p) => /request-parser|json-depth|sinclair|contract\/codes/.test(p)],
  ['ws: frames in, pings, close', (f, p) => p === 'ws'],
  ['broker publish (history, positions)', (f, p) => /broker\/(memory-broker|topic-log|publication|idempotency|redis\/)/.test(p)],
  ['topic registry (subscribers of a topic)', (f, p) => /broker\/(topic-registry|pattern-trie)/.test(p)],
  ['frame build (JSON text, WebSocket framing, buffers)', (f, p) => /websocket-frame|contract\/frames|node:buffer|node:internal\/buffer/.test(p) || /^(utf8Write|utf8Slice)$/.test(f)],
  ['batching and writes (per socket, per turn)', (f, p) => /write-batcher|frame-writer|handle-writes|client-connection/.test(p)],
  ['request order and replies (promises, windows)', (f, p) => /session|request-queue|publish-window|queue-requests/.test(p) || f === 'runMicrotasks'],
  ['access checks', (f, p) => /src\/access|connection-access/.test(p)],
  ['metrics', (f, p) => /prom-client|metrics\//.test(p)],
  ['node streams, net, timers', (f, p) => /node:(internal\/)?(streams|net|timers|events)/.test(p)]
]

function areaOf (functionName: string, place: string): string {
  return AREAS.find(([, test]) => test(functionName, place))?.[0] ?? 'other'
}

const args = process.argv.slice(2)
const windowArg = args.find((arg) => arg.startsWith('--window='))
const [file, rowsArg] = args.filter((arg) => arg !== windowArg)
if (file === undefined) throw new Error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [rows] [--window=FROM:TO]')
const [from, to] = windowArg === undefined ? [-Infinity, Infinity] : windowArg.slice('--window='.length).split(':').map(Number)
if (!(from < to)) throw new Error(`--window wants FROM:TO in µs with FROM < TO, got ${windowArg}`)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const byFunction = new Map<string, number>()
const byPlace = new Map<string, number>()
const byArea = new Map<string, number>()
let all = 0
// a sample's time is the profile's start plus the deltas up to it; its delta is the time it stands for
let at = profile.startTime
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0
  at += us
  const node = byId.get(id)
  if (node === undefined || at < from || at > to) return
  const { functionName, url, lineNumber } = node.callFrame
  const name = `${functionName === '' ? '(anonymous)' : functionName}  ${where(url)}${url === '' ? '' : `:${lineNumber + 1}`}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  byPlace.set(where(url), (byPlace.get(where(url)) ?? 0) + us)
  const area = areaOf(functionName, where(url))
  byArea.set(area, (byArea.get(area) ?? 0) + us)
  all += us
})
const rows = Number(rowsArg ?? 25)
const span = windowArg === undefined ? '' : ` in the window (${((to - from) / 1000).toFixed(0)} ms)`
console.log(`${file}: ${(all / 1000).toFixed(0)} ms sampled${span}\n\nself time by function\n${top(byFunction, all, rows)}\n\nself time by package or file\n${top(byPlace, all, rows)}\n\n` +
  `self time by area\n${top(byArea, all, AREAS.length + 1)}`)
