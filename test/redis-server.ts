/** A private redis-server for one test, on a free port, that the test can kill and restart. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import type { Teardown } from './helper.js'
import { parentDeathSignal } from './instance-process.js'

/**
 * Ports freePort() has handed out in this process. The kernel can give the port it just freed to the
 * next bind(0), so two servers started side by side (a cluster node and its bus, two instances) were
 * given the same port; this set is the one state kept across calls, as it must outlive each of them.
 */
const handedOut = new Set<number>()

/** A loopback port nothing listens on now, never one handed out before in this process. */
export async function freePort (): Promise<number> {
  for (;;) {
    const port = await unusedPort()
    if (handedOut.has(port)) continue
    handedOut.add(port)
    return port
  }
}

async function unusedPort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** How many free ports a redis-server start tries. */
const BIND_ATTEMPTS = 3

/**
 * Runs `start` again when the redis-server it starts could not bind its port: a port found free can be
 * taken before redis-server binds it (by another test file, or the kernel handing the same port out twice).
 */
export async function retryOnPortClash<T> (start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (error) {
      if (attempt === BIND_ATTEMPTS || !(error instanceof Error) || !error.message.includes('Address already in use')) throw error
    }
  }
}

export class RedisServer {
  private process: ChildProcess | undefined

  private constructor (readonly port: number) {}

  static async start (t: Teardown): Promise<RedisServer> {
    return retryOnPortClash(async () => {
      const server = await RedisServer.reserve(t)
      await server.restart()
      return server
    })
  }

  /** A server with a free port of its own, not running until restart(): a Redis that comes up late. */
  static async reserve (t: Teardown): Promise<RedisServer> {
    const server = new RedisServer(await freePort())
    t.teardown(() => server.kill())
    return server
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts it again on the same port, empty, as a Redis without persistence comes back. */
  async restart (): Promise<void> {
    // killed with the test process, should that die first (a killed run left redis-servers behind)
    const [command, ...args] = [...parentDeathSignal('KILL'), 'redis-server', '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    this.process = child
    await new Promise<void>((resolve, reject) => {
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
    })
    child.stdout.resume()
  }

  /** Kills it outright, as a crash would. */
  async kill (): Promise<void> {
    const child = this.process
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.process = undefined
  }

  /** Sends the server a signal: SIGSTOP freezes it (connections stay open, nothing is answered), SIGCONT thaws it. */
  signal (signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.process?.kill(signal)
  }

  /** A plain client, as another service of the user's would hold. */
  client (t: Teardown): Redis {
    const client = new Redis(this.port, '127.0.0.1')
    t.teardown(() => client.disconnect())
    return client
  }
}
