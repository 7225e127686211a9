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
  all += us
})
const rows = Number(rowsArg ?? 25)
const span = windowArg === undefined ? '' : ` in the window (${((to - from) / 1000).toFixed(0)} ms)`
console.log(`${file}: ${(all / 1000).toFixed(0)} ms sampled${span}\n\nself time by function\n${top(byFunction, all, rows)}\n\nself time by package or file\n${top(byPlace, all, rows)}`)
