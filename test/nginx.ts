/** Debian's nginx running deploy/nginx.conf, as committed, in front of two instances on loopback ports: for tests and the chaos run. */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../src/project-root.js'
import { eventually, type Teardown } from './helper.js'
import { parentDeathSignal } from './instance-process.js'
import { freePort } from './redis-server.js'

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
    if (!config.includes(from)) throw new Error(`deploy/nginx.conf no longer contains "${from}"; update test/nginx.ts`)
    config = config.replaceAll(from, to)
  }
  return config
}

/** Runs nginx in the foreground from a temp folder; stops it when the test ends. Resolves with its URL once it proxies /ready. */
export async function startNginx (t: Teardown, upstreams: [number, number]): Promise<string> {
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
