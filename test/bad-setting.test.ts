/** A bad setting at start: the server prints its sentence and exits with code 1, no stack trace. */
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { compiledServer } from './compiled-server.js'
import { parentDeathSignal } from './instance-process.js'

// the first start of a run compiles the server, which takes seconds on a busy 2-core machine
t.setTimeout(60_000)

t.test('PORT=abc: one sentence on stderr, nothing on stdout, exit code 1', async (t) => {
  const cwd = join(tmpdir(), 'proxyer-instance-cwd')
  mkdirSync(cwd, { recursive: true })
  const [command, ...args] = [...parentDeathSignal('KILL'), process.execPath, await compiledServer()]
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, _TAPJS_PROCESSINFO_COVERAGE_: '0', PORT: 'abc' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise((resolve) => child.once('close', resolve))
  t.equal(code, 1)
  t.equal(stderr, 'Invalid configuration: PORT must be integer\n')
  t.equal(stdout, '')
})
