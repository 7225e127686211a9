/** What an operator reads in the log: one line per request, polls kept out of info, refusals without a stack trace. */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { stripVTControlCharacters } from 'node:util'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { logOptions } from '../src/log-output.js'
import { compiledServer } from './compiled-server.js'
import { InstanceProcess, parentDeathSignal } from './instance-process.js'
import { freePort } from './redis-server.js'
import { TestClient } from './helper.js'

const SCRIPT = '/usr/bin/script'

// each test starts a real server, which takes seconds on a busy 2-core machine
t.setTimeout(120_000)

/** Runs the requests an operator's log would see in a day: polls, a publish, refusals, a socket. */
async function trafficThenStop (instance: InstanceProcess, t: Test): Promise<any[]> {
  const post = async (body: string, type: string): Promise<number> =>
    (await fetch(`${instance.url}/publish/booked`, { method: 'POST', body, headers: { 'content-type': type } })).status
  for (const path of ['/health', '/ready', '/topics', '/topics?scope=local']) t.equal((await fetch(instance.url + path)).status, 200, path)
  t.equal(await post('1673254205340:2199:32925:en00030', 'text/plain'), 200)
  t.equal(await post('<booking/>', 'application/xml'), 415)
  t.equal(await post('{"msg":1}', 'application/json'), 400)
  t.equal(await post('x'.repeat(200), 'text/plain'), 413)
  t.equal((await fetch(`${instance.url}/no-such-page`)).status, 404, 'a GET that matches no route is not a poll')
  const client = await TestClient.connect(t, instance.wsUrl)
  await client.request({ action: 'ping' })
  instance.kill('SIGTERM')
  t.match(await instance.exited, { code: 0 })
  const lines = instance.output.trim().split('\n')
  // every line is one JSON object: a collector can read it
  return lines.map((line) => JSON.parse(line))
}

t.test('with stdout not a terminal: JSON lines, one per request, polls at debug, refusals without a stack', async (t) => {
  // at debug, to see that the polls are logged there and nowhere above it
  const instance = await InstanceProcess.start(t, { LOG_LEVEL: 'debug', MAX_MESSAGE_BYTES: 100 })
  const entries = await trafficThenStop(instance, t)
  const polls = entries.filter((entry) => /^GET \/(health|ready|topics)[?\s]/.test(entry.msg))
  t.ok(polls.length >= 5, 'the start\'s /ready poll and the test\'s four')
  t.ok(polls.every((entry) => entry.level === 20), 'polls at debug')
  const warnings = entries.filter((entry) => entry.level === 40)
  t.match(warnings.map((entry) => entry.msg), [/^No API_KEYS, JWT_SECRET or JWT_PUBLIC_KEY set: anyone who can reach/], 'the one warning of the open mode')
  const info = entries.filter((entry) => entry.level === 30)
  t.match(info.map((entry) => entry.msg), [
    /^Server listening at http:\/\/127\.0\.0\.1:\d+$/,
    /^POST \/publish\/booked 200 in [\d.]+ ms$/,
    /^POST \/publish\/booked 415 in [\d.]+ ms: Unsupported Media Type "application\/xml": send application\/json or text\/plain$/,
    /^POST \/publish\/booked 400 in [\d.]+ ms: body must have required property 'message'$/,
    /^POST \/publish\/booked 413 in [\d.]+ ms: Request body is too large$/,
    /^GET \/no-such-page 404 in [\d.]+ ms$/,
    /^GET \/message: WebSocket connection$/,
    /^shutting down$/
  ])
  t.equal(info.length, 8, 'nothing else at info: one line for each request')
  t.notOk(entries.some((entry) => entry.level > 40), 'nothing above warn')
  t.notOk(entries.some((entry) => JSON.stringify(entry).includes('stack')), 'no stack trace')
})

t.test('on a terminal: one readable line per event, no JSON', { skip: !existsSync(SCRIPT) && 'needs util-linux script(1) for a terminal' }, async (t) => {
  const port = await freePort()
  const cwd = join(tmpdir(), 'proxyer-instance-cwd')
  mkdirSync(cwd, { recursive: true })
  // script(1) runs the server on a pseudo-terminal of its own, as a person's shell would
  const server = [...parentDeathSignal('KILL'), process.execPath, await compiledServer()]
  const [command, ...args] = [...parentDeathSignal('KILL'), SCRIPT, '-qfec', server.map((arg) => JSON.stringify(arg)).join(' '), '/dev/null']
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, _TAPJS_PROCESSINFO_COVERAGE_: '0', LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', MAX_MESSAGE_BYTES: '100' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(() => { child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const lines = (): string[] => stripVTControlCharacters(output).split(/\r?\n/).filter((line) => line !== '')
  const waitForLine = async (match: RegExp): Promise<void> => {
    while (!lines().some((line) => match.test(line))) await new Promise((resolve) => child.stdout.once('data', resolve))
  }
  await waitForLine(/Server listening/)
  await fetch(`http://127.0.0.1:${port}/health`)
  await fetch(`http://127.0.0.1:${port}/publish/booked`, { method: 'POST', body: 'x'.repeat(200), headers: { 'content-type': 'text/plain' } })
  // the status, not a timestamp's milliseconds (a line stamped .413 once ended the wait early)
  await waitForLine(/ 413 in /)
  child.kill('SIGKILL')
  await exited
  t.match(lines(), [
    /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: No API_KEYS, JWT_SECRET or JWT_PUBLIC_KEY set/,
    /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+$/,
    /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST \/publish\/booked 413 in [\d.]+ ms: Request body is too large$/
  ])
  t.equal(lines().length, 3, 'one line per event, none for /health')
})

t.test('the terminal format, in this process', async (t) => {
  const terminal = Object.assign(new PassThrough(), { isTTY: true })
  const app = Fastify({ logger: logOptions('info', terminal) })
  t.teardown(() => app.close())
  app.log.info({ topic: 'booked' }, 'hello')
  const line = stripVTControlCharacters(String(terminal.read()))
  t.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello \{"topic":"booked"\}\n$/)
  t.same(logOptions('info', new PassThrough()), { level: 'info' }, 'JSON (pino\'s own) to anything else')
})
