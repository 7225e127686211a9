/** A private redis-server for one test, on a free port, that the test can kill and restart. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import type { Teardown } from './helper.js'

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

export class RedisServer {
  private process: ChildProcess | undefined

  private constructor (readonly port: number) {}

  static async start (t: Teardown): Promise<RedisServer> {
    const server = await RedisServer.reserve(t)
    await server.restart()
    return server
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
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
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
