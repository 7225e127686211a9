/** WORKERS=N: N processes on one host sharing the port through node:cluster, each an instance of the Redis cluster. */
import cluster from 'node:cluster'
import type { Config } from './config.js'

interface Log {
  info (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

/**
 * Forks the workers and keeps them running: a worker that dies after it served is replaced; one that
 * dies before it ever listened (Redis unreachable, a bad setting) stops them all with exit code 1, rather
 * than a restart loop. SIGTERM and SIGINT are passed to every worker, which shut down gracefully.
 */
export function runWorkers (config: Config, log: Log): void {
  const listened = new Set<number>()
  let stopping = false
  const fork = (index: number): void => {
    // INSTANCE_ID, when set, names the host; each worker is an instance with a name of its own
    const env = config.INSTANCE_ID === undefined ? {} : { INSTANCE_ID: `${config.INSTANCE_ID}-${index}` }
    const worker = cluster.fork(env)
    // on PORT: the start-up check of handle writes listens on a loopback port of its own first
    worker.on('listening', (address) => { if (address.port === config.PORT) listened.add(worker.id) })
    worker.once('exit', (code, signal) => {
      if (stopping) {
        // process.exitCode: 1 when a worker failed to start, 0 after a signal
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit()
        return
      }
      if (!listened.has(worker.id)) {
        log.error({ worker: index, code, signal }, 'a worker stopped before it listened; stopping the others')
        stop('SIGTERM', 1)
        return
      }
      log.error({ worker: index, code, signal }, 'a worker died; starting another')
      fork(index)
    })
  }
  const stop = (signal: NodeJS.Signals, exitCode: number): void => {
    stopping = true
    process.exitCode = exitCode
    const workers = Object.values(cluster.workers ?? {})
    if (workers.length === 0) process.exit(exitCode)
    for (const worker of workers) worker?.process.kill(signal)
  }
  for (let index = 1; index <= config.WORKERS; index++) fork(index)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info({ signal }, 'stopping the workers')
      stop(signal, 0)
    })
  }
  log.info({ workers: config.WORKERS, port: config.PORT }, 'workers started')
}
