/** A bad setting, or what else stops the start: the server prints its sentence and exits with code 1, no stack trace. */
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { compiledServer } from './compiled-server.js'
import { parentDeathSignal } from './instance-process.js'
import { freePort } from './redis-server.js'

// run from TypeScript (tsx), the first start compiles the server, which takes seconds on a busy 2-core machine
t.setTimeout(60_000)

interface Ending {
  code: number | null
  stdout: string
  stderr: string
}

/** Starts the compiled server with `env` alone and resolves with how it ended. */
async function startUntilExit (t: Test, env: Record<string, string>): Promise<Ending> {
  const cwd = join(tmpdir(), 'proxyer-instance-cwd')
  mkdirSync(cwd, { recursive: true })
  const [command, ...args] = [...parentDeathSignal('KILL'), process.execPath, await compiledServer()]
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, _TAPJS_PROCESSINFO_COVERAGE_: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, stdout, stderr }
}

t.test('PORT=abc: one sentence on stderr, nothing on stdout, exit code 1', async (t) => {
  const { code, stdout, stderr } = await startUntilExit(t, { PORT: 'abc' })
  t.equal(code, 1)
  t.equal(stderr, 'Invalid configuration: PORT must be integer\n')
  t.equal(stdout, '')
})

t.test('what stops the start is said in one sentence on stderr, without a stack trace, and the exit code is 1', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const takenPort = (taken.address() as AddressInfo).port
  const silentRedis = await freePort()
  const cases: Array<{ what: string, env: Record<string, string>, says: RegExp }> = [
    {
      what: 'Redis does not answer',
      env: { PORT: '0', REDIS_URL: `redis://:secret@127.0.0.1:${silentRedis}`, REDIS_CONNECT_TIMEOUT_MS: '300' },
      says: new RegExp(`^proxyer could not start: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${silentRedis}/? did not answer within 300 ms \\(REDIS_CONNECT_TIMEOUT_MS\\)[^\\n]*ECONNREFUSED[^\\n]*\\n$`)
    },
    {
      what: 'the port is taken',
      env: { PORT: String(takenPort), HOST: '127.0.0.1' },
      says: new RegExp(`^proxyer could not start: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${takenPort}\\n$`)
    }
  ]
  for (const { what, env, says } of cases) {
    const { code, stderr } = await startUntilExit(t, { LOG_LEVEL: 'warn', ...env })
    t.equal(code, 1, what)
    t.match(stderr, says, what)
    t.notMatch(stderr, 'secret', `${what}: no password`)
  }
})
