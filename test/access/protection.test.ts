/** Browser-facing protection and limits: origins, CORS, CSP, connection caps, HTTP rate limit that never touches a keyed backend, secrets kept out of logs. */
import t from 'tap'
import { startApp, TestClient } from '../helper.js'
import { InstanceProcess } from '../instance-process.js'
import { API_KEY, SECRET, hsToken } from './tokens.js'

const SECURED = { API_KEYS: API_KEY, JWT_SECRET: SECRET }
// real servers (Redis, child processes) on a 2-core machine other jobs share
t.setTimeout(300_000)

/** The status a refused upgrade was answered with, or 'opened'. */
async function upgrade (t: Parameters<typeof TestClient.connect>[0], url: string, headers: Record<string, string> = {}): Promise<string> {
  return TestClient.connect(t, url, { headers }).then(() => 'opened', (err: Error) => err.message)
}

t.test('ALLOWED_ORIGINS: another site\'s page can open no socket and post nothing; CORS answers the list', async (t) => {
  const { url, wsUrl } = await startApp(t, { ALLOWED_ORIGINS: 'https://zoo.example' })
  t.match(await upgrade(t, wsUrl, { origin: 'https://evil.example' }), /403/, 'a forged Origin is refused on the upgrade')
  t.equal(await upgrade(t, wsUrl, { origin: 'https://zoo.example' }), 'opened')
  t.equal(await upgrade(t, wsUrl), 'opened', 'a backend sends no Origin')
  const forged = await fetch(`${url}/publish/booked`, { method: 'POST', body: 'fake', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' } })
  t.equal(forged.status, 403, 'a cross-site text/plain POST is refused')
  t.match(await forged.json(), { code: 'PROXYER_ORIGIN_NOT_ALLOWED' })
  t.equal((await fetch(`${url}/topics/booked`)).status, 404, 'the forged POST published nothing')
  const allowed = await fetch(`${url}/topics`, { headers: { origin: 'https://zoo.example' } })
  t.equal(allowed.headers.get('access-control-allow-origin'), 'https://zoo.example')
  const other = await fetch(`${url}/topics`, { headers: { origin: 'https://evil.example' } })
  t.equal(other.headers.get('access-control-allow-origin'), null, 'no CORS grant for another origin')
  const preflight = await fetch(`${url}/publish/booked`, { method: 'OPTIONS', headers: { origin: 'https://zoo.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } })
  t.equal(preflight.status, 204)
  t.match(preflight.headers.get('access-control-allow-headers'), /authorization/)
})

t.test('by default any origin may, as today', async (t) => {
  const { url, wsUrl } = await startApp(t)
  t.equal(await upgrade(t, wsUrl, { origin: 'https://anywhere.example' }), 'opened')
  t.equal((await fetch(`${url}/topics`, { headers: { origin: 'https://anywhere.example' } })).headers.get('access-control-allow-origin'), '*')
})

t.test('security headers with a Content-Security-Policy on the page and the API', async (t) => {
  const { url } = await startApp(t)
  for (const path of ['/', '/topics']) {
    const response = await fetch(`${url}${path}`)
    const csp = response.headers.get('content-security-policy') ?? ''
    t.match(csp, /default-src 'self'/, `${path}: CSP`)
    t.match(csp, /script-src 'self'/)
    t.notMatch(csp, /unsafe-inline|upgrade-insecure-requests/, 'no inline script or style; plain http and ws keep working')
    t.equal(response.headers.get('x-content-type-options'), 'nosniff')
  }
})

t.test('MAX_CONNECTIONS (503) and MAX_CONNECTIONS_PER_IP (429) on the upgrade, freed when a socket closes', async (t) => {
  const perIp = await startApp(t, { MAX_CONNECTIONS_PER_IP: 2 })
  const first = await TestClient.connect(t, perIp.wsUrl)
  await TestClient.connect(t, perIp.wsUrl)
  t.match(await upgrade(t, perIp.wsUrl), /429/)
  const closed = first.closed()
  first.socket.close()
  await closed
  await t.resolves(async () => {
    // the server sees the close a moment after the client: retry until it has
    for (let attempt = 0; attempt < 50; attempt++) if (await upgrade(t, perIp.wsUrl) === 'opened') return
    throw new Error('the closed connection was not released')
  }, 'a closed connection frees its place')
  const instance = await startApp(t, { MAX_CONNECTIONS: 1 })
  await TestClient.connect(t, instance.wsUrl)
  t.match(await upgrade(t, instance.wsUrl), /503/)
  t.equal(instance.app.connections.open.size, 1, 'the refused upgrade allocated no connection')
})

t.test('HTTP: anonymous requests are rate limited per address, token holders too; a keyed backend is not', async (t) => {
  const { url } = await startApp(t, { ...SECURED, RATE_LIMIT_PER_SECOND: 5 })
  const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${url}/topics`)).status))
  t.ok(statuses.filter((s) => s === 429).length >= 10, 'past 5 a second, anonymous requests get 429')
  const token = hsToken({ sub: 'u1', subscribe: ['>'] })
  const tokened = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${url}/topics`, { headers: { authorization: `Bearer ${token}` } })).status))
  t.ok(tokened.includes(429), 'token holders (browsers) are limited too')
  // the 10,000-message keyed burst with 8 in flight is in keyed-bursts.long.ts (npm run test:long)
  const keyed = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${url}/topics`, { headers: { authorization: `Bearer ${API_KEY}` } })).status))
  t.same(keyed.filter((s) => s !== 200), [], 'a keyed backend is never limited')
})

t.test('the real server: ?token= never in the log, and one warning when nothing is configured', async (t) => {
  const token = hsToken({ sub: 'u42', subscribe: ['>'] })
  const secured = await InstanceProcess.start(t, { ...SECURED, LOG_LEVEL: 'info' }, { startTimeoutMs: 60_000 })
  const good = await TestClient.connect(t, `${secured.wsUrl}?token=${token}`)
  await good.request({ action: 'ping' })
  await upgrade(t, `${secured.wsUrl}?token=${token}x`)
  await fetch(`${secured.url}/topics?token=${token}`)
  await fetch(`${secured.url}/publish/booked`, { method: 'POST', body: 'b', headers: { 'content-type': 'text/plain', authorization: `Bearer ${API_KEY}` } })
  // the request after them is logged once they are
  await fetch(`${secured.url}/health`)
  t.match(secured.output, /token=%5Bredacted%5D/, 'the upgrade URLs were logged, masked')
  t.notMatch(secured.output, token.split('.')[2] as string, 'no part of the token\'s signature')
  t.notMatch(secured.output, API_KEY, 'nor the API key')
  t.notMatch(secured.output, /anyone who can reach proxyer/, 'no warning once secured')

  const open = await InstanceProcess.start(t, { LOG_LEVEL: 'info' }, { startTimeoutMs: 60_000 })
  t.equal(open.output.match(/anyone who can reach proxyer may publish/g)?.length, 1, 'one warning line')
  t.match(open.output, /set API_KEYS/, 'saying how to close it')
  const posted = await fetch(`${open.url}/publish/booked`, { method: 'POST', body: 'b', headers: { 'content-type': 'text/plain' } })
  t.equal(posted.status, 200, 'and everything is open as before')
})
