/** Starts proxyer: reads the environment, listens, and shuts down gracefully on a signal. */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = loadConfig()
const app = await buildApp(config)

closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ err, signal }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

await app.listen({ port: config.PORT, host: config.HOST })
