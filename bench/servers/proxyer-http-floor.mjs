/**
 * proxyer as src/server.ts starts it, with a plain node:http server beside the Fastify app (http-publish
 * scenario). Both call the same broker in the same process, so what a publish costs more on PORT than
 * on HTTP_FLOOR_PORT is Fastify's routing, validation and serialization.
 *
 * usage: node [--import tsx] proxyer-http-floor.mjs ENTRY, where ENTRY is the proxyer entry the runner
 * would start (dist/src/server.js, or src/server.ts under tsx): app and config are loaded beside it.
 */
import { createServer } from 'node:http'
import { dirname, extname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { handlePublishRequest } from './publish-request.mjs'

const entry = process.argv[2]
const load = (name) => import(pathToFileURL(join(dirname(entry), name + extname(entry))).href)
const { buildApp } = await load('app')
const { loadConfig } = await load('config')

const config = loadConfig()
const app = await buildApp(config)
const floor = createServer((req, res) => handlePublishRequest(req, res, (topic, message) => app.proxyer.publish(topic, message)))

// as src/server.ts does (close-with-grace): close, then exit, whatever keep-alive sockets remain
process.once('SIGTERM', async () => {
  floor.close()
  await app.close()
  process.exit(0)
})

await app.listen({ port: config.PORT, host: config.HOST })
floor.listen(Number(process.env.HTTP_FLOOR_PORT), config.HOST)
