/** Runs the real server, compiled from src/server.ts, as a separate process for a test, and always kills it when the test ends. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { compiledServer } from './compiled-server.js'
import { freePort } from './redis-server.js'
import type { Teardown } from './helper.js'

export interface InstanceExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface InstanceOptions {
  /** Wait for /ready to answer 200, not only /health (default true). */
  ready?: boolean
  /** How long the process may take to answer (default 60 s: the first start of a run compiles the server, and 2 s become 10 on a loaded 2-core machine). */
  startTimeoutMs?: number
  /** The port to listen on, e.g. the one a stopped instance had, behind a proxy (default: a free one). */
  port?: number
}

/** Keeps the tail of what the process printed, for failure messages. */
const OUTPUT_LIMIT = 64 * 1024

const SETPRIV = '/usr/bin/setpriv'

/**
 * A command prefix by which Linux sends `signal` to the child when the test process dies without
 * running its teardowns (tap ends a test file past its timeout with SIGALRM, then SIGKILL), so no
 * server is left behind. Empty where util-linux's setpriv is missing.
 */
export function parentDeathSignal (signal: 'KILL' | 'TERM'): string[] {
  return existsSync(SETPRIV) ? [SETPRIV, `--pdeathsig=${signal}`] : []
}

export class InstanceProcess {
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<InstanceExit>
  private printed = ''

  private constructor (readonly child: ChildProcess, readonly port: number) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    const keep = (chunk: Buffer): void => {
      this.printed = (this.printed + chunk.toString()).slice(-OUTPUT_LIMIT)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
  }

  /**
   * Starts the compiled server (see compiled-server.ts) with plain node on a free loopback port with `env`
   * on top of a bare environment (the test runner's variables are not the
   * server's business), in an empty working directory
   * so no developer's .env is read. Resolves once it answers /ready with 200
   * (or /health, with `ready: false`).
   */
  static async start (t: Teardown, env: Record<string, string | number> = {}, options: InstanceOptions = {}): Promise<InstanceProcess> {
    const port = options.port ?? await freePort()
    // nothing is ever written there, so every instance shares it and nothing is left to clean up
    const cwd = join(tmpdir(), 'proxyer-instance-cwd')
    mkdirSync(cwd, { recursive: true })
    const [command, ...args] = [...parentDeathSignal('KILL'), process.execPath, await compiledServer()]
    const child = spawn(command, args, {
      cwd,
      env: {
        PATH: process.env.PATH,
        // no coverage of the child, which runs a build in tmp/: in-process tests cover the same code
        _TAPJS_PROCESSINFO_COVERAGE_: '0',
        LOG_LEVEL: 'warn',
        ...Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)])),
        PORT: String(port),
        HOST: '127.0.0.1'
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const instance = new InstanceProcess(child, port)
    t.teardown(async () => instance.stop())
    await instance.waitUntilServing(options.ready ?? true, options.startTimeoutMs ?? 60_000)
    return instance
  }

  /** http://127.0.0.1:PORT */
  get url (): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** ws://127.0.0.1:PORT/message */
  get wsUrl (): string {
    return `ws://127.0.0.1:${this.port}/message`
  }

  get pid (): number {
    return this.child.pid ?? -1
  }

  /** Whether the process has not exited yet. */
  get running (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** What the process printed to stdout and stderr (the last 64 KiB). */
  get output (): string {
    return this.printed
  }

  kill (signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal)
  }

  /** Kills the process outright unless it has exited, and waits for it. */
  async stop (): Promise<InstanceExit> {
    if (this.running) this.kill('SIGKILL')
    return this.exited
  }

  private async waitUntilServing (ready: boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const path = ready ? '/ready' : '/health'
    let exit: InstanceExit | undefined
    this.exited.then((e) => { exit = e }, () => {})
    for (;;) {
      if (exit !== undefined) throw new Error(`the server exited (${JSON.stringify(exit)}) before answering ${path}:\n${this.output}`)
      const status = await fetch(this.url + path).then(async (res) => { await res.arrayBuffer(); return res.status }, () => 0)
      if (status === 200) return
      if (Date.now() > deadline) {
        await this.stop()
        throw new Error(`the server did not answer ${path} with 200 within ${timeoutMs} ms (last status ${status}):\n${this.output}`)
      }
      await sleep(50)
    }
  }
}
