/** The OpenAPI document at /docs/json: valid by a real OpenAPI validator, every HTTP route in it, the UI served. */
import t from 'tap'
import type { RouteOptions } from 'fastify'
import { validate } from '@readme/openapi-parser'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

t.test('every route is in a valid OpenAPI 3 document', async (t) => {
  const routes: RouteOptions[] = []
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { onRoute: (route) => { routes.push(route) } })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })

  const response = await fetch(`${url}/docs/json`)
  t.equal(response.status, 200)
  const document = await response.json() as any
  const result = await validate(structuredClone(document))
  t.ok(result.valid, `valid OpenAPI: ${JSON.stringify(result.valid ? [] : result.errors)}`)
  t.equal(document.openapi, '3.0.3')

  // HEAD mirrors GET; the docs document themselves; the static files and the WebSocket are not HTTP API
  // (the WebSocket's protocol is the AsyncAPI document)
  const expected = routes.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs') && r.schema?.hide !== true)
  t.ok(expected.length >= 9)
  for (const route of expected) {
    const path = route.url.replace(/:(\w+)/g, '{$1}')
    for (const method of [route.method].flat()) {
      const operation = document.paths[path]?.[method.toLowerCase()]
      t.ok(operation, `${method} ${route.url} is documented`)
      t.ok(operation?.summary, `${method} ${route.url} has a summary`)
      t.ok(Object.keys(operation?.responses ?? {}).length > 0, `${method} ${route.url} documents its replies`)
    }
  }
  const hidden = routes.filter((r) => r.schema?.hide === true).map((r) => r.url)
  t.ok(hidden.includes('/message'), 'the WebSocket is left to the AsyncAPI document')

  const publish = document.paths['/publish/{topic}'].post
  t.equal(publish.requestBody.content['text/plain'].example, '1673254205340:2199:32925:en00030', 'the booking POST as the example')
  t.ok(publish.responses['503'].description)

  const ui = await fetch(`${url}/docs/`)
  t.equal(ui.status, 200)
  t.match(await ui.text(), /swagger-ui/)
})
