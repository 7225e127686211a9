/** Starts the servers a scenario measures: proxyer, the ws floor, Socket.IO or Nchan, one or two instances (then with Redis). */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { SERVER_CORE } from './cores.js'
import { Launched, freePort, waitForPort } from './launch.js'
import { nchanArgv } from './nchan.js'
import type { Endpoint, ServerKind } from './types.js'

export const HOST = '127.0.0.1'

/** How proxyer is started: built (no loader in the measured process) or, when the build fails, through tsx. */
export interface ProxyerRuntime {
  /** Ends with the entry: dist/src/server.js, or src/server.ts. */
  argv: string[]
  label: 'dist' | 'tsx'
}

export interface ServerSetup {
  endpoints: Endpoint[]
  /** proxyer's plain node:http publish, when asked for. */
  httpFloor?: Endpoint
  /** The server-side processes: instances, then Redis. */
  processes: Launched[]
}

export interface StartOptions {
  root: string
  instances: number
  proxyer: ProxyerRuntime
  env?: Record<string, string>
  /** Extra node flags for the servers (--cpu-prof ...). */
  nodeFlags?: string[]
  /** Starts proxyer through servers/proxyer-http-floor.mjs, with a plain node:http publish on a second port (one instance). */
  httpFloor?: boolean
}

/** Environment every proxyer instance gets: quiet, no request limit in the way of a publisher, quick shutdown. */
const PROXYER_ENV = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_SECOND: '1000000',
  SHUTDOWN_TIMEOUT_MS: '1000'
}

export async function startServers (kind: ServerKind, options: StartOptions): Promise<ServerSetup> {
  const processes: Launched[] = []
  try {
    let redisUrl: string | undefined
    if (options.instances > 1) {
      const port = await freePort()
      const redis = new Launched('redis-server', ['redis-server', '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'], { core: SERVER_CORE, cwd: options.root })
      processes.push(redis)
      await waitForPort(port, redis)
      redisUrl = `redis://${HOST}:${port}`
    }
    const endpoints: Endpoint[] = []
    let httpFloor: Endpoint | undefined
    const instances: Launched[] = []
    for (let i = 0; i < options.instances; i++) {
      const port = await freePort()
      const env: Record<string, string> = { PORT: String(port), HOST, ...options.env }
      if (redisUrl !== undefined) Object.assign(env, { REDIS_URL: redisUrl, INSTANCE_ID: `bench-${i}` })
      const floorPort = kind === 'proxyer' && options.httpFloor === true && i === 0 ? await freePort() : undefined
      if (floorPort !== undefined) env.HTTP_FLOOR_PORT = String(floorPort)
      const [node, ...args] = kind !== 'proxyer'
        ? [process.execPath, join(options.root, 'bench', 'servers', kind === 'socketio' ? 'socketio.mjs' : 'ws-floor.mjs')]
        : floorPort !== undefined ? withHttpFloor(options.proxyer.argv, options.root) : options.proxyer.argv
      const nchan = kind === 'nchan' ? nchanArgv(options.root, port) : undefined
      const argv = nchan?.argv ?? [node, ...options.nodeFlags ?? [], ...args]
      const instance = new Launched(`${kind} #${i}`, argv, { core: SERVER_CORE, cwd: options.root, env: kind === 'proxyer' ? { ...PROXYER_ENV, ...env } : env })
      if (nchan !== undefined) instance.child.once('exit', () => rmSync(nchan.dir, { recursive: true, force: true }))
      instances.push(instance)
      processes.push(instance)
      await waitForPort(port, instance)
      endpoints.push({ host: HOST, port })
      if (floorPort !== undefined) {
        await waitForPort(floorPort, instance)
        httpFloor = { host: HOST, port: floorPort }
      }
    }
    // instances first: their pids come first in a task, the one the idle and slow-consumer scenarios read
    return { endpoints, httpFloor, processes: [...instances, ...processes.filter((p) => !instances.includes(p))] }
  } catch (err) {
    await stopServers(processes)
    throw err
  }
}

/** proxyer's argv with servers/proxyer-http-floor.mjs in place of its entry, which it loads the app from (built or under tsx alike). */
function withHttpFloor (argv: string[], root: string): string[] {
  return [...argv.slice(0, -1), join(root, 'bench', 'servers', 'proxyer-http-floor.mjs'), argv[argv.length - 1]]
}

/** Instances before Redis, so that they do not log a lost connection on the way out. */
export async function stopServers (processes: Launched[]): Promise<void> {
  for (const process of processes) await process.stop()
}
