/** Runs the scale scenario's rounds and reports the median of each mode and instance count against the targets. */
import { median } from './median.js'
import { scaleRun, type ScaleMode, type ScaleRow, type ScaleShape } from './scale.js'

export interface ScaleOptions extends ScaleShape {
  rounds: number
  instances: number[]
}

export interface ScaleResult {
  /** The median row of each mode and instance count (the median of each figure over the rounds). */
  rows: ScaleRow[]
  targets: Array<{ target: string, reached: boolean, detail: string }>
  table: string
}

export const SCALE_USAGE = 'usage: npm run bench:scale -- [--rounds=N] [--instances=1,2,4,8] [--publishes=N] [--fanout=N] [--topics=N]'

export function scaleOptions (args: string[], quick = false): ScaleOptions {
  const options: ScaleOptions = { rounds: quick ? 1 : 3, instances: [1, 2, 4, 8], topics: 8, fanout: 100, publishes: quick ? 2000 : 10_000, window: 32 }
  for (const arg of args) {
    const [name, value] = arg.replace(/^--/, '').split('=')
    const numbers = (value ?? '').split(',').map(Number)
    if (!numbers.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`bad value "${arg}"\n${SCALE_USAGE}`)
    if (name === 'instances') options.instances = numbers
    else if (name === 'rounds' || name === 'publishes' || name === 'fanout' || name === 'topics') options[name] = numbers[0]
    else throw new Error(`unknown argument "${arg}"\n${SCALE_USAGE}`)
  }
  return options
}

function medianRow (rows: ScaleRow[]): ScaleRow {
  const pick = (key: keyof ScaleRow): number => median(rows.map((row) => row[key] as number)) ?? NaN
  return {
    ...rows[0],
    serverCpuMs: pick('serverCpuMs'),
    redisCpuMs: pick('redisCpuMs'),
    serverUsPerDelivery: pick('serverUsPerDelivery'),
    serverUsPerPublish: pick('serverUsPerPublish'),
    redisUsPerPublish: pick('redisUsPerPublish'),
    redisIdleMsPerSec: pick('redisIdleMsPerSec'),
    serverIdleMsPerSec: pick('serverIdleMsPerSec'),
    seconds: pick('seconds'),
    load: pick('load')
  }
}

/** Each round runs every mode and count once, embedded first, so that drifting load shifts all alike. */
export async function runScale (options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const runs: ScaleRow[] = []
  const plan: Array<[ScaleMode, number]> = [['embedded', 1], ...options.instances.map((n): [ScaleMode, number] => ['redis', n]), ...options.instances.map((n): [ScaleMode, number] => ['cluster', n])]
  for (let round = 1; round <= options.rounds; round++) {
    for (const [mode, instances] of plan) {
      const row = await scaleRun(mode, instances, options)
      runs.push(row)
      log(`round ${round}: ${mode} x${instances}: ${row.serverUsPerDelivery.toFixed(2)} us/delivery, ${row.redisUsPerPublish.toFixed(1)} Redis us/publish, ${row.seconds.toFixed(1)} s, load ${row.load.toFixed(1)}`)
    }
  }
  const rows = plan.map(([mode, instances]) => medianRow(runs.filter((r) => r.mode === mode && r.instances === instances)))
  const embedded = rows[0].serverUsPerDelivery
  const targets: ScaleResult['targets'] = []
  for (const mode of ['redis', 'cluster'] as const) {
    const ofMode = rows.filter((r) => r.mode === mode)
    const worst = Math.max(...ofMode.map((r) => r.serverUsPerDelivery / embedded))
    const perPublish = ofMode.map((r) => r.redisUsPerPublish)
    const spread = perPublish[perPublish.length - 1] / perPublish[0]
    if (mode === 'cluster') targets.push({ target: 'cluster CPU per delivery within 1.25x of embedded at every count', reached: worst <= 1.25, detail: `worst ${worst.toFixed(2)}x` })
    targets.push({ target: `${mode}: Redis CPU per publish within 10% from ${ofMode[0].instances} to ${ofMode[ofMode.length - 1].instances} instances`, reached: Math.abs(spread - 1) <= 0.1, detail: `${spread.toFixed(2)}x` })
  }
  const header = '| mode | instances | server µs / delivery | vs embedded | server µs / publish | server idle ms / s | Redis µs / publish | Redis µs / publish, gross | Redis idle ms / s | run s | load |'
  const lines = rows.map((r) => `| ${r.mode} | ${r.instances} | ${r.serverUsPerDelivery.toFixed(2)} | ${(r.serverUsPerDelivery / embedded).toFixed(2)}x | ${r.serverUsPerPublish.toFixed(0)} | ${r.serverIdleMsPerSec.toFixed(1)} | ${r.mode === 'embedded' ? '-' : r.redisUsPerPublish.toFixed(1)} | ${r.mode === 'embedded' ? '-' : (r.redisCpuMs * 1000 / r.publishes).toFixed(1)} | ${r.mode === 'embedded' ? '-' : r.redisIdleMsPerSec.toFixed(1)} | ${r.seconds.toFixed(1)} | ${r.load.toFixed(1)} |`)
  const table = [
    `${options.publishes} publishes to ${options.topics} topics of ${options.fanout} subscribers each, median of ${options.rounds} round(s); CPU per delivery and per publish net of the idle rates beside them`,
    header, '|---|---|---|---|---|---|---|---|---|---|---|', ...lines, '',
    ...targets.map((t) => `${t.reached ? 'reached' : 'MISSED '}  ${t.target}: ${t.detail}`)
  ].join('\n')
  return { rows, targets, table }
}
