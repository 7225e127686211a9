/** GET /cluster on the embedded broker. */
import t from 'tap'
import { getJson, startApp, TestClient } from '../helper.js'

t.test('GET /cluster on the embedded broker lists this one instance with its connections', async (t) => {
  const { url, wsUrl } = await startApp(t, { INSTANCE_ID: 'solo' })
  await TestClient.connect(t, wsUrl)
  await TestClient.connect(t, wsUrl)
  const view = await getJson(`${url}/cluster`)
  t.equal(view.mode, 'embedded')
  t.match(view.instances, [{ id: 'solo', self: true, connections: 2, startedAt: String, lastSeenAt: String }])
  t.equal(view.instances.length, 1)
})
