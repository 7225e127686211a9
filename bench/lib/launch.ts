/** Starting and stopping the benchmark's processes, each pinned to its core where taskset is found. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export const pinning = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0

const OUTPUT_TAIL = 8 * 1024

export interface LaunchOptions {
  core: number
  cwd: string
  env?: Record<string, string>
  /** Adds an IPC channel (the child must be Node); output is then inherited, not kept. */
  ipc?: boolean
}

export class Launched {
  readonly child: ChildProcess
  private tail = ''

  constructor (readonly name: string, argv: string[], options: LaunchOptions) {
    const [command, ...args] = pinning ? ['taskset', '-c', String(options.core), ...argv] : argv
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: options.ipc === true ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'pipe']
    })
    const keep = (chunk: Buffer): void => { this.tail = (this.tail + chunk.toString()).slice(-OUTPUT_TAIL) }
    this.child.stdout?.on('data', keep)
    this.child.stderr?.on('data', keep)
  }

  /** taskset execs the command, so this is the command's own pid. */
  get pid (): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`)
    return this.child.pid
  }

  get exited (): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null
  }

  output (): string {
    return this.tail
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop (graceMs = 5000): Promise<void> {
    if (this.exited) return
    const exit = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await exit
    clearTimeout(timer)
  }
}

/** A port free on 127.0.0.1 at the time of asking. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Resolves once something accepts connections on the port; fails if `process` exits first or after `timeoutMs`. */
export async function waitForPort (port: number, process: Launched, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (process.exited) throw new Error(`${process.name} exited before listening:\n${process.output()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await sleep(50)
  }
  throw new Error(`${process.name} did not listen on ${port} within ${timeoutMs / 1000} s:\n${process.output()}`)
}
