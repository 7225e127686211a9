/**
 * npm run bench:scale [-- --rounds=N] [-- --instances=1,2,4,8] [-- --publishes=N]: server CPU per delivery and
 * per publish, and Redis CPU per publish, embedded (one instance, the reference), on one Redis and on a
 * 3-shard Redis Cluster at each instance count; the median of the rounds for each, with the load average.
 * Targets: cluster CPU per delivery within 1.25x of embedded at every count; Redis CPU per publish within
 * 10% from the fewest instances to the most.
 */
import { loadavg } from 'node:os'
import { runScale, scaleOptions } from './lib/scale-report.js'

const options = scaleOptions(process.argv.slice(2))
console.log(`scale: ${options.rounds} round(s), load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
const { table } = await runScale(options, (line) => console.log(line))
console.log(table)
