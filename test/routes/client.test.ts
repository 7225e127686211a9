/** GET /client.js: the built SDK, or a clear 404 when it was not built, never a 500. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import Fastify from 'fastify'
import staticPlugin from '../../plugins/static.js'
import clientRoute from '../../routes/client.js'
import { startApp } from '../helper.js'

t.test('the built SDK is served as a JavaScript module', async (t) => {
  const { url } = await startApp(t)
  const response = await fetch(`${url}/client.js`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^(text|application)\/javascript/)
  t.match(await response.text(), /export class ProxyerClient/)
})

t.test('without a built SDK: a 404 that says to build it', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'proxyer-no-client-'))
  t.teardown(() => rmSync(empty, { recursive: true, force: true }))
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(staticPlugin)
  await app.register(clientRoute, { dir: empty })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })

  const response = await fetch(`${address}/client.js`)
  t.equal(response.status, 404)
  t.same(await response.json(), {
    statusCode: 404,
    code: 'PROXYER_CLIENT_NOT_BUILT',
    error: 'Not Found',
    message: 'The client SDK is not built: run npm run build'
  })
})
