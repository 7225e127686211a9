/** Turns the runs into tables, ratios to the baselines, and the issue's targets, met or not. */
import type { Metrics, ScenarioName, ScenarioParams, ServerKind } from './types.js'

export interface RunRecord {
  scenario: ScenarioName
  label: string
  server: ServerKind
  params: ScenarioParams
  metrics: Metrics | null
  notes: string[]
  error?: string
}

export interface Target {
  name: string
  goal: string
  value: string
  /** Null when a run it needs is missing or failed. */
  met: boolean | null
}

type Column = [title: string, cell: (run: RunRecord, runs: RunRecord[]) => string]

function figure (run: RunRecord | undefined, key: string): number | null {
  const value = run?.metrics?.[key]
  return typeof value === 'number' ? value : null
}

function sibling (runs: RunRecord[], run: RunRecord, server: ServerKind, scenario = run.scenario, label = run.label): RunRecord | undefined {
  return runs.find((r) => r.scenario === scenario && r.label === label && r.server === server)
}

function fixed (value: number | null, digits = 0): string {
  if (value === null) return '-'
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function ratio (a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b
}

function times (value: number | null): string {
  return value === null ? '-' : `${value.toFixed(2)}x`
}

const num = (key: string, digits = 0) => (run: RunRecord): string => fixed(figure(run, key), digits)
/** proxyer's figure over a baseline's, on proxyer's row only. */
const versus = (key: string, server: ServerKind) => (run: RunRecord, runs: RunRecord[]): string =>
  run.server === 'proxyer' ? times(ratio(figure(run, key), figure(sibling(runs, run, server), key))) : ''

/** CPU other processes of the machine took during the run's windows, on the busier core (percent of a core). */
export function otherLoad (run: RunRecord): number {
  const loads = Object.entries(run.metrics ?? {})
    .filter(([key, value]) => /otherLoad/i.test(key) && typeof value === 'number')
    .map(([, value]) => value as number)
  return loads.length === 0 ? 0 : Math.max(...loads)
}

const otherLoadCell = (run: RunRecord): string => run.metrics === null ? '-' : fixed(otherLoad(run))

/** A median over rounds with its extremes, "median (min..max)". */
const spreadCell = (prefix: string) => (run: RunRecord): string => figure(run, `${prefix}Pct`) === null
  ? '-'
  : `${fixed(figure(run, `${prefix}Pct`), 1)} (${fixed(figure(run, `${prefix}MinPct`), 1)}..${fixed(figure(run, `${prefix}MaxPct`), 1)})`

/** Which side set the pace: a core near 100 % is the limit. */
function bound (run: RunRecord): string {
  const server = figure(run, 'serverCpuPct')
  const generator = figure(run, 'generatorCpuPct')
  if (server === null || generator === null) return '-'
  if (server >= 90) return 'server'
  return generator >= 90 ? 'GENERATOR' : 'neither'
}

const COLUMNS: Record<ScenarioName, Column[]> = {
  fanout: [
    ['deliveries/s', num('deliveriesPerSec')], ['publishes/s', num('publishesPerSec')],
    ['server CPU %', num('serverCpuPct')], ['CPU µs/delivery', num('serverCpuUsPerDelivery', 3)], ['gen CPU %', num('generatorCpuPct')],
    ['bound', bound], ['other load %', otherLoadCell], ['lost', num('lost')],
    ['d/s vs floor', versus('deliveriesPerSec', 'ws-floor')], ['d/s vs SIO', versus('deliveriesPerSec', 'socketio')],
    ['CPU/d vs floor', versus('serverCpuUsPerDelivery', 'ws-floor')], ['CPU/d vs SIO', versus('serverCpuUsPerDelivery', 'socketio')],
    ['d/s vs Nchan', versus('deliveriesPerSec', 'nchan')], ['CPU/d vs Nchan', versus('serverCpuUsPerDelivery', 'nchan')]
  ],
  'many-topics': [],
  latency: [
    ['p50 ms', num('latencyMsP50', 2)], ['p99 ms', num('latencyMsP99', 2)], ['max ms', num('latencyMsMax', 2)],
    ['probe p99 ms', num('probeLatencyMsP99', 2)], ['server CPU %', num('serverCpuPct')], ['gen CPU %', num('generatorCpuPct')],
    ['other load %', otherLoadCell], ['lost', num('lost')], ['p99 vs floor', versus('latencyMsP99', 'ws-floor')], ['p99 vs SIO', versus('latencyMsP99', 'socketio')],
    ['p50 vs Nchan', versus('latencyMsP50', 'nchan')], ['p99 vs Nchan', versus('latencyMsP99', 'nchan')]
  ],
  idle: [
    ['connections', num('connections')], ['RSS before MB', num('rssBeforeMb', 1)], ['RSS after MB', num('rssAfterMb', 1)],
    ['bytes/connection', num('bytesPerConnection')], ['vs floor', versus('bytesPerConnection', 'ws-floor')], ['vs SIO', versus('bytesPerConnection', 'socketio')],
    ['vs Nchan', versus('bytesPerConnection', 'nchan')]
  ],
  'http-publish': [
    ['HTTP CPU µs/publish', num('http1ServerCpuUsPerPublish', 1)], ['node:http CPU µs/publish', num('floor1ServerCpuUsPerPublish', 1)],
    ['Fastify µs/request', num('fastifyCostUs', 1)], ['Fastify share %', num('fastifyCostPct', 1)], ['Fastify overhead %', spreadCell('fastifyOverhead')], ['WS CPU µs/publish', num('ws1ServerCpuUsPerPublish', 1)],
    ['HTTP vs WS %', num('httpOverheadPct', 1)], ['HTTP CPU µs/publish (N)', num('httpNServerCpuUsPerPublish', 1)],
    ['node:http CPU µs/publish (N)', num('floorNServerCpuUsPerPublish', 1)], ['Fastify overhead % (N)', spreadCell('fastifyOverheadConcurrent')],
    ['WS CPU µs/publish (N)', num('wsNServerCpuUsPerPublish', 1)], ['HTTP vs WS % (N)', num('httpOverheadConcurrentPct', 1)],
    ['HTTP requests/s', num('httpNPublishesPerSec')], ['node:http requests/s', num('floorNPublishesPerSec')], ['WS publishes/s', num('wsNPublishesPerSec')],
    ['gen CPU % (HTTP, N)', num('httpNGeneratorCpuPct')], ['other load %', otherLoadCell], ['lost', num('lost')],
    ['HTTP req/s vs floor', versus('httpNPublishesPerSec', 'ws-floor')], ['HTTP req/s vs SIO', versus('httpNPublishesPerSec', 'socketio')]
  ],
  cluster: [
    ['embedded d/s', (run, runs) => fixed(figure(run, 'embeddedDeliveriesPerSec') ?? figure(embeddedOf(runs, run), 'deliveriesPerSec'))],
    ['cluster d/s', num('deliveriesPerSec')],
    ['cluster/embedded', (run, runs) => figure(run, 'clusterRatio') === null
      ? times(ratio(figure(run, 'deliveriesPerSec'), figure(embeddedOf(runs, run), 'deliveriesPerSec')))
      : `${times(figure(run, 'clusterRatio'))} (${times(figure(run, 'clusterRatioMin'))}..${times(figure(run, 'clusterRatioMax'))})`],
    ['CPU % (all)', num('serverCpuPct')], ['CPU % A/B/Redis', (run) => String(run.metrics?.serverCpuPctByProcess ?? '-')],
    ['CPU µs/delivery (all)', num('serverCpuUsPerDelivery', 3)], ['gen CPU %', num('generatorCpuPct')],
    ['other load %', otherLoadCell], ['lost', num('lost')], ['d/s vs SIO', versus('deliveriesPerSec', 'socketio')]
  ],
  'slow-consumer': [
    ['d/s without', num('withoutDeliveriesPerSec')], ['d/s with stalled', num('withDeliveriesPerSec')], ['with/without', num('throughputRatio', 3)],
    ['RSS max without MB', num('rssWithoutMaxMb', 1)], ['RSS max with MB', num('rssWithMaxMb', 1)],
    ['published while stalled', num('publishedWhileStalled')], ['stalled one got', num('stalledReceived')],
    ['stalled close code', (run) => String(run.metrics?.stalledCloseCode ?? 'none')], ['other load %', otherLoadCell], ['lost (others)', num('lost')]
  ]
}
COLUMNS['many-topics'] = COLUMNS.fanout

function embeddedOf (runs: RunRecord[], run: RunRecord): RunRecord | undefined {
  return runs.find((r) => r.scenario === 'fanout' && r.params.subscribers === run.params.subscribers && r.server === run.server)
}

const TITLES: Record<ScenarioName, string> = {
  fanout: 'Fanout: one topic, publisher kept just ahead',
  latency: 'Latency at a fixed rate (all subscribers; probe = one real client parsing each message)',
  'many-topics': 'Many topics: publishes round-robin over the topics',
  idle: 'Idle connections: server RSS delta per open, subscribed connection',
  'http-publish': 'HTTP publish to 100 subscribers, one at a time, then N in flight (N = concurrency, 8). proxyer: POST /publish on Fastify against ' +
    'plain node:http on the same broker in the same process, median of 5 interleaved rounds (min..max). HTTP vs WS: informational',
  cluster: 'Cluster: two instances and Redis on the server core, publisher on one, subscribers on both',
  'slow-consumer': 'Slow consumer: one subscriber stops reading'
}

/** A plain-text table, numbers right-aligned. */
function render (header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)))
  const line = (cells: string[]): string => cells.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function tables (runs: RunRecord[]): string {
  const out: string[] = []
  for (const scenario of Object.keys(TITLES) as ScenarioName[]) {
    const own = runs.filter((r) => r.scenario === scenario)
    if (own.length === 0) continue
    const columns = COLUMNS[scenario]
    const rows = own.map((run) => run.error !== undefined
      ? [run.label, run.server, `error: ${run.error.split('\n')[0].slice(0, 100)}`, ...columns.slice(1).map(() => '')]
      : [run.label, run.server, ...columns.map(([, cell]) => cell(run, runs))])
    out.push(`${TITLES[scenario]}\n${render(['variant', 'server', ...columns.map(([title]) => title)], rows)}`)
    const notes = own.flatMap((run) => run.notes.map((note) => `  note (${run.server}, ${run.label}): ${note}`))
    if (notes.length > 0) out.push(notes.join('\n'))
  }
  return out.join('\n\n')
}

export function targets (runs: RunRecord[]): Target[] {
  const find = (scenario: ScenarioName, server: ServerKind, match: (p: ScenarioParams) => boolean): RunRecord | undefined =>
    runs.find((r) => r.scenario === scenario && r.server === server && r.error === undefined && match(r.params))
  const thousand = (p: ScenarioParams): boolean => p.subscribers === 1000
  const out: Target[] = []
  const check = (name: string, goal: string, value: number | null, met: (v: number) => boolean, unit: string, detail = ''): void => {
    out.push({ name, goal, value: value === null ? 'not measured' : `${fixed(value, 2)}${unit}${detail}`, met: value === null ? null : met(value) })
  }

  const fanout = find('fanout', 'proxyer', thousand)
  check('fanout, 1,000 subscribers: deliveries/s vs Socket.IO', 'at least 3x',
    ratio(figure(fanout, 'deliveriesPerSec'), figure(find('fanout', 'socketio', thousand), 'deliveriesPerSec')), (v) => v >= 3, 'x')
  check('fanout, 1,000 subscribers: CPU per delivery, ws floor / proxyer', 'at least 2x lower',
    ratio(figure(find('fanout', 'ws-floor', thousand), 'serverCpuUsPerDelivery'), figure(fanout, 'serverCpuUsPerDelivery')), (v) => v >= 2, 'x lower')
  const at100 = (p: ScenarioParams): boolean => p.rate === 100
  const p99 = figure(find('latency', 'proxyer', at100), 'latencyMsP99')
  const floorP99 = figure(find('latency', 'ws-floor', at100), 'latencyMsP99')
  check('latency, 100 msg/s to 1,000: p99 vs the floor\'s', `lower than the floor's (${fixed(floorP99, 2)} ms)`,
    floorP99 === null ? null : p99, (v) => floorP99 !== null && v < floorP99, ' ms')
  check('idle connections: server memory per connection', 'at most 8 KiB (8,192 bytes)',
    figure(find('idle', 'proxyer', () => true), 'bytesPerConnection'), (v) => v <= 8192, ' bytes')
  const httpPublish = find('http-publish', 'proxyer', () => true)
  const pct = (key: string): string => `${fixed(figure(httpPublish, key), 1)}%`
  const us = (key: string): string => `${fixed(figure(httpPublish, key), 1)} µs`
  check('HTTP publish: Fastify\'s own CPU per request (over plain node:http on the same broker, no subscribers) as a share of a publish to 100 subscribers',
    'under 10%', figure(httpPublish, 'fastifyCostPct'), (v) => v < 10, '%',
    ` (${us('fastifyCostUs')}, rounds ${us('fastifyCostMinUs')}..${us('fastifyCostMaxUs')}; direct, to 100 subscribers: one at a time ${pct('fastifyOverheadPct')}` +
    ` (${pct('fastifyOverheadMinPct')}..${pct('fastifyOverheadMaxPct')}), ${fixed(figure(httpPublish, 'concurrency'))} in flight ${pct('fastifyOverheadConcurrentPct')})`)
  // issue 16: Nchan, where each socket gets about one frame per turn
  const dpsVsNchan = (scenario: ScenarioName, match: (p: ScenarioParams) => boolean): number | null =>
    ratio(figure(find(scenario, 'proxyer', match), 'deliveriesPerSec'), figure(find(scenario, 'nchan', match), 'deliveriesPerSec'))
  check('many topics, 1,000 x 5: deliveries/s vs Nchan', 'at least 1.2x', dpsVsNchan('many-topics', () => true), (v) => v >= 1.2, 'x')
  const nchanP99 = figure(find('latency', 'nchan', at100), 'latencyMsP99')
  check('latency, 100 msg/s to 1,000: p99 vs Nchan\'s', `at most Nchan's (${fixed(nchanP99, 2)} ms)`,
    nchanP99 === null ? null : p99, (v) => nchanP99 !== null && v <= nchanP99, ' ms')
  check('fanout, 5,000 subscribers: deliveries/s vs Nchan', 'at least 1.0x', dpsVsNchan('fanout', (p) => p.subscribers === 5000), (v) => v >= 1, 'x')
  const cluster = find('cluster', 'proxyer', (p) => thousand(p) && p.publishers === undefined)
  check('cluster: deliveries/s vs embedded (fanout, 1,000 subscribers), median of rounds side by side', 'at least 0.8x',
    figure(cluster, 'clusterRatio'), (v) => v >= 0.8, 'x', ` (rounds ${times(figure(cluster, 'clusterRatioMin'))}..${times(figure(cluster, 'clusterRatioMax'))})`)
  return out
}

export function targetTable (list: Target[]): string {
  return render(['target', 'goal', 'value', 'met'], list.map((t) => [t.name, t.goal, t.value, t.met === null ? 'n/a' : t.met ? 'met' : 'NOT MET']))
}
