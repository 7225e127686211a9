/** The command line: `npm run bench -- [scenario ...] [scale] [--quick] [--servers=proxyer,ws-floor,socketio,nchan]`. */
import { SCENARIOS } from './catalog.js'
import { SERVER_KINDS, type ScenarioName, type ServerKind } from './types.js'

export interface Options {
  scenarios: ScenarioName[]
  servers: ServerKind[]
  quick: boolean
  /** Longest wait, in seconds, for idle cores before each run; 0 starts at once. */
  waitSeconds: number
  /** Runs repeated when other processes took more than a fifth of a core during the window. */
  retries: number
  /** Runs the servers under --cpu-prof, writing to bench/results/profiles/. */
  profile: boolean
  /** The work-queue step (bench/queues.ts): proxyer embedded and with Redis beside BullMQ. */
  queues: boolean
  /** Ends with the scale scenario (bench/lib/scale.ts): proxyer alone, CPU per delivery at 1 to 8 instances. */
  scale: boolean
}

export const USAGE = `usage: npm run bench -- [scenario ...] [--quick] [--wait=SECONDS] [--retries=N] [--profile] [--servers=${SERVER_KINDS.join(',')}]
scenarios: ${SCENARIOS.join(', ')}, queues, scale (all when none is named)
           queues: work queues, proxyer embedded and with Redis beside BullMQ on one private Redis, each
           producer and worker path apart, 3 rounds (1 with --quick), about 3 minutes (bench/queues.ts)
           scale: runs last, on proxyer alone: CPU per delivery and publish at 1 to 8 instances, as
           npm run bench:scale, one round with --quick
--quick    shorter warm-up and measurement windows
--wait=S   wait at most S seconds (default 60; 0: not at all) for idle cores before each run
--retries=N  run again, at most N times (default 1), when other processes took more than 20% of a
           core during the measurement; the attempt with the least such load is kept
--profile  run the servers with node --cpu-prof (bench/results/profiles/; summarize with
           npx tsx bench/profile-summary.ts FILE; each run, and each queues phase, prints its window)
--servers  the servers to measure, in this order (all four by default; Nchan is left out with a note when
           nginx or its module is missing)`

export function parseOptions (args: string[]): Options {
  const scenarios: ScenarioName[] = []
  let servers: ServerKind[] = [...SERVER_KINDS]
  let quick = false
  let waitSeconds = 60
  let profile = false
  let retries = 1
  let queues = false
  let scale = false
  for (const arg of args) {
    if (arg === 'scale') {
      scale = true
    } else if (arg === '--quick') {
      quick = true
    } else if (arg.startsWith('--wait=')) {
      waitSeconds = Number(arg.slice('--wait='.length))
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new Error(`bad wait "${arg}"\n${USAGE}`)
    } else if (arg.startsWith('--retries=')) {
      retries = Number(arg.slice('--retries='.length))
      if (!Number.isInteger(retries) || retries < 0) throw new Error(`bad retries "${arg}"\n${USAGE}`)
    } else if (arg === '--profile') {
      profile = true
    } else if (arg.startsWith('--servers=')) {
      servers = arg.slice('--servers='.length).split(',').map((name) => {
        if (!(SERVER_KINDS as readonly string[]).includes(name)) throw new Error(`unknown server "${name}"\n${USAGE}`)
        return name as ServerKind
      })
    } else if (arg === 'queues') {
      queues = true
    } else if ((SCENARIOS as readonly string[]).includes(arg)) {
      scenarios.push(arg as ScenarioName)
    } else {
      throw new Error(`unknown argument "${arg}"\n${USAGE}`)
    }
  }
  const all = scenarios.length === 0 && !queues && !scale
  return { scenarios: all ? [...SCENARIOS] : scenarios, servers, quick, waitSeconds, retries, profile, queues: queues || all, scale: scale || all }
}
