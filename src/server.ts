/** Starts proxyer: reads the environment, listens, and shuts down gracefully on a signal; with WORKERS>1, forks the workers first. */
import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig, type Config } from './config.js'
import { runWorkers } from './workers.js'

let config: Config
try {
  config = loadConfig()
} catch (err) {
  // a bad setting is for a person to fix: its sentence says which and why, a stack trace would only bury it
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
}

if (config.WORKERS > 1 && cluster.isPrimary) {
  const { default: pino } = await import('pino')
  runWorkers(config, pino({ level: config.LOG_LEVEL }))
} else {
  const app = await buildApp(config).catch(cannotStart)

  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ err, signal }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  await app.listen({ port: config.PORT, host: config.HOST }).catch(cannotStart)
}

/**
 * What stops the start (Redis not answering, the port taken) is for a person to fix, like a bad setting:
 * its sentence alone, the stack trace only when LOG_LEVEL asks for detail.
 */
function cannotStart (err: Error): never {
  process.stderr.write(`proxyer could not start: ${err.message}\n`)
  if (config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace') process.stderr.write(`${err.stack ?? ''}\n`)
  process.exit(1)
}
