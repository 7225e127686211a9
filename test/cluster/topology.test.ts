/** The deployed topology: Debian's nginx with deploy/nginx.conf in front of two instance processes sharing a Redis. */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { projectRoot } from '../../src/project-root.js'
import { eventually, getJson, postText, TestClient } from '../helper.js'
import { InstanceProcess, parentDeathSignal } from '../instance-process.js'
import { freePort, RedisServer } from '../redis-server.js'

const NGINX = '/usr/sbin/nginx'

/** deploy/nginx.conf as committed, with the instances' and its own address put on loopback ports. */
function renderConfig (upstreams: [number, number], port: number, dir: string): string {
  const swaps: Array<[string, string]> = [
    ['proxyer-a:3002', `127.0.0.1:${upstreams[0]}`],
    ['proxyer-b:3002', `127.0.0.1:${upstreams[1]}`],
    ['listen 3002;', `listen 127.0.0.1:${port};`],
    // nginx's compiled-in temp folders are under /var/lib/nginx, which only root may write
    ['http {', `http {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${join(dir, `${name}_temp`)};`).join('\n')}`]
  ]
  let config = readFileSync(join(projectRoot, 'deploy', 'nginx.conf'), 'utf8')
  for (const [from, to] of swaps) {
    if (!config.includes(from)) throw new Error(`deploy/nginx.conf no longer contains "${from}"; update this test`)
    config = config.replaceAll(from, to)
  }
  return config
}

/** Runs nginx in the foreground from a temp folder; stops it when the test ends. Resolves with its URL once it proxies /ready. */
async function startNginx (t: Test, upstreams: [number, number]): Promise<string> {
  if (!existsSync(NGINX)) throw new Error(`no nginx at ${NGINX}: apt-get install nginx-light (or nginx), as .ci/run does`)
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'proxyer-nginx-'))
  // nginx's workers run as nobody when the tests run as root
  chmodSync(dir, 0o755)
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, renderConfig(upstreams, port, dir))
  // TERM, nginx's fast shutdown, so the master takes its workers along should the test process die
  const [command, ...args] = [...parentDeathSignal('TERM'), NGINX, '-p', dir, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`]
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  t.teardown(async () => {
    // SIGTERM is nginx's fast shutdown: the master stops its workers, open WebSockets included, then exits
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`)
    return (await fetch(`${url}/ready`).then(async (res) => { await res.arrayBuffer(); return res.ok }, () => false))
  }, 'nginx proxies /ready').catch((err: Error) => { throw new Error(`${err.message}:\n${output}`) })
  return url
}

t.test('every subscriber behind nginx gets every booking posted through nginx, once and in order, whichever instance each lands on', async (t) => {
  const redis = await RedisServer.start(t)
  const shared = { REDIS_URL: redis.url, INSTANCE_TTL_MS: 1500 }
  const [a, b] = await Promise.all([
    InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'a' }),
    InstanceProcess.start(t, { ...shared, INSTANCE_ID: 'b' })
  ])
  const front = await startNginx(t, [a.port, b.port])
  const frontWs = `${front.replace('http', 'ws')}/message`

  const subscribers: TestClient[] = []
  for (let i = 0; i < 6; i++) {
    const client = await TestClient.connect(t, frontWs)
    t.match(await client.request({ action: 'subscribe', topic: 'booked' }), { action: 'subscribed', topic: 'booked' }, `subscriber ${i} is subscribed`)
    subscribers.push(client)
  }

  // round robin spread the sockets: each instance, asked directly, holds some of them
  const connectionsOf = async (instance: InstanceProcess): Promise<number> =>
    (await getJson(`${instance.url}/cluster`)).instances.find((i: any) => i.self === true)?.connections ?? 0
  await eventually(async () => (await connectionsOf(a)) + (await connectionsOf(b)) === 6, 'both instances report their connections')
  const [onA, onB] = [await connectionsOf(a), await connectionsOf(b)]
  t.comment(`instance a holds ${onA} sockets, instance b ${onB}`)
  t.ok(onA > 0, 'instance a holds some of the subscribers')
  t.ok(onB > 0, 'instance b holds some of the subscribers')
  t.match(await getJson(`${front}/topics/booked`), { subscribers: 6 }, 'the cluster figures, asked through nginx, count all of them')

  // the POSTs alternate between the instances too, so bookings enter the cluster on both sides
  const bookings = Array.from({ length: 6 }, (_, i) => `1673254205340:2199:${32925 + i}:en00030`)
  for (const booking of bookings) {
    const res = await postText(front, 'booked', booking)
    t.equal(res.status, 200, 'the POST is accepted')
    t.match(await res.json(), { topic: 'booked', subscribers: 6 }, 'each booking reaches the six subscribers')
  }

  // a last message, after all the bookings: once it is in, a second copy of any booking would be too
  t.equal((await postText(front, 'booked', 'last')).status, 200)
  for (const client of subscribers) await client.waitFor((f) => f.message === 'last')
  for (const [i, client] of subscribers.entries()) {
    t.same(client.deliveries.map((f) => f.message), [...bookings, 'last'], `subscriber ${i} got each booking once, in order`)
  }
  t.match(await getJson(`${front}/topics/booked`), { published: 7 }, 'published counted once per message')
})
