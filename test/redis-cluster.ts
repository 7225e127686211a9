/** A private Redis Cluster for one test: redis-server nodes on free ports, joined by redis-cli, killed by PID. */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Cluster, Redis, type ClusterOptions } from 'ioredis'
import { parentDeathSignal } from './instance-process.js'
import { freePort, retryOnPortClash } from './redis-server.js'
import { eventuallyValue, type Teardown } from './helper.js'

export interface ClusterShape {
  /** Masters sharing the 16384 slots (at least 3, as redis-cli demands). */
  masters?: number
  /** Replicas per master (0 or 1). */
  replicas?: number
  /** How long a silent master takes to be failed over (cluster-node-timeout); short so a test waits little. */
  nodeTimeoutMs?: number
}

const run = promisify(execFile)
/** How long a cluster may take to form or fail over, and how often it is asked meanwhile (each probe is a connection to every node). */
const PATIENCE_MS = 20_000
const PROBE_INTERVAL_MS = 100

/** One redis-server process of the cluster. */
export class ClusterNode {
  readonly exited: Promise<void>

  constructor (readonly port: number, readonly process: ChildProcess) {
    this.exited = new Promise((resolve) => process.once('exit', () => resolve()))
  }

  get address (): string {
    return `127.0.0.1:${this.port}`
  }

  get pid (): number {
    /* c8 ignore next: a spawned redis-server always has a PID, or start() has already failed */
    return this.process.pid ?? -1
  }

  get running (): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  /** Runs one command on this node alone (no redirection), for probes and INFO. */
  async command (...args: string[]): Promise<string> {
    // a connection per probe: cheaper than a redis-cli process, and none is left open when the node dies
    const client = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    try {
      await client.connect()
      return String(await client.call(args[0], ...args.slice(1)))
    } finally {
      client.disconnect()
    }
  }
}

export class RedisCluster {
  private constructor (readonly nodes: ClusterNode[], private readonly dir: string) {}

  /**
   * Starts masters x (1 + replicas) nodes, each with its nodes.conf in a temp folder of its own and
   * no persistence, joins them with `redis-cli --cluster create`, and resolves once every node says
   * cluster_state:ok and every replica is in sync. Stopped (SIGKILL by PID, folders removed) on teardown.
   */
  static async start (t: Teardown, shape: ClusterShape = {}): Promise<RedisCluster> {
    const { masters = 3, replicas = 1, nodeTimeoutMs = 1000 } = shape
    const dir = mkdtempSync(join(tmpdir(), 'proxyer-redis-cluster-'))
    const cluster = new RedisCluster([], dir)
    t.teardown(async () => cluster.stop())
    // every start is awaited, so a node that failed leaves none running past the teardown (one did keep tap waiting)
    const starts = await Promise.allSettled(Array.from({ length: masters * (1 + replicas) }, async (_, i) => { cluster.nodes[i] = await startNode(dir, i, nodeTimeoutMs) }))
    const failed = starts.find((start) => start.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    await run('redis-cli', ['--cluster', 'create', ...cluster.nodes.map((n) => n.address), '--cluster-replicas', String(replicas), '--cluster-yes'])
    await cluster.waitUntilHealthy()
    return cluster
  }

  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  get seeds (): string {
    return this.nodes.map((n) => n.address).join(',')
  }

  /** An ioredis Cluster client seeded with every node, disconnected on teardown. */
  client (t: Teardown, options: ClusterOptions = {}): Cluster {
    const client = new Cluster(this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), options)
    t.teardown(() => client.disconnect())
    return client
  }

  /** The running node that serves `key`'s slot as master, as CLUSTER SLOTS on a running node says. */
  async masterOf (key: string): Promise<ClusterNode> {
    const probe = this.nodes.find((n) => n.running)
    /* c8 ignore next: a test never kills every node */
    if (probe === undefined) throw new Error('no node of the cluster runs')
    const slot = Number(await probe.command('CLUSTER', 'KEYSLOT', key))
    const client = new Redis(probe.port, '127.0.0.1')
    try {
      const ranges = await client.cluster('SLOTS')
      const range = ranges.find(([from, to]) => slot >= from && slot <= to)
      const master = this.nodes.find((n) => n.port === range?.[2][1])
      /* c8 ignore next: a healthy cluster covers every slot */
      if (master === undefined) throw new Error(`no master serves slot ${slot}`)
      return master
    } finally {
      client.disconnect()
    }
  }

  /**
   * Kills a master outright (SIGKILL by PID), as a crash would, and resolves with the replica
   * the cluster promoted in its place, once every surviving node says cluster_state:ok again.
   */
  async killMaster (master: ClusterNode): Promise<ClusterNode> {
    const replicas: ClusterNode[] = []
    for (const node of this.nodes) {
      if (node !== master && node.running && (await node.command('INFO', 'replication')).includes(`master_port:${master.port}`)) replicas.push(node)
    }
    if (replicas.length === 0) throw new Error(`node ${master.address} has no replica to take over`)
    master.process.kill('SIGKILL')
    await master.exited
    const promoted = await eventuallyValue(async () => {
      for (const replica of replicas) {
        if ((await probe(replica, 'INFO', 'replication')).includes('role:master')) return replica
      }
      return undefined
    }, `a replica of ${master.address} is promoted`, PATIENCE_MS, PROBE_INTERVAL_MS)
    await this.waitUntilHealthy()
    return promoted
  }

  /** Every running node says cluster_state:ok with all slots assigned, and every running replica is in sync. */
  async waitUntilHealthy (): Promise<void> {
    await eventuallyValue(async () => {
      for (const node of this.nodes.filter((n) => n.running)) {
        const info = await probe(node, 'CLUSTER', 'INFO')
        if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return undefined
        const replication = await probe(node, 'INFO', 'replication')
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return undefined
      }
      return true
    }, 'every node of the cluster says cluster_state:ok', PATIENCE_MS, PROBE_INTERVAL_MS)
  }

  async stop (): Promise<void> {
    await Promise.all(this.nodes.filter((node) => node !== undefined).map(async (node) => {
      if (node.running) node.process.kill('SIGKILL')
      await node.exited
    }))
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A cluster-enabled redis-server on a free port and a free bus port, its nodes.conf in a folder of its own. */
async function startNode (dir: string, index: number, nodeTimeoutMs: number): Promise<ClusterNode> {
  const nodeDir = join(dir, `node-${index}`)
  mkdirSync(nodeDir)
  return retryOnPortClash(async () => {
    // a start that could not bind may have written its nodes.conf
    rmSync(join(nodeDir, 'nodes.conf'), { force: true })
    return startNodeOnFreePorts(nodeDir, nodeTimeoutMs)
  })
}

async function startNodeOnFreePorts (nodeDir: string, nodeTimeoutMs: number): Promise<ClusterNode> {
  const port = await freePort()
  // the default bus port, port + 10000, may be taken or past 65535: give it a free one of its own
  const busPort = await freePort()
  const [command, ...args] = [...parentDeathSignal('KILL'), 'redis-server',
    '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
    '--dir', nodeDir, '--save', '', '--appendonly', 'no',
    // a replica's first sync starts at once, not after the default 5 s wait for more replicas
    '--repl-diskless-sync-delay', '0']
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const node = new ClusterNode(port, child)
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server on ${port} exited with ${code}: ${output}`)))
  })
  child.stdout?.resume()
  return node
}

/** A node's answer to a probe, or '' while it cannot answer (starting, or the cluster reconfiguring): not yet. */
async function probe (node: ClusterNode, ...command: string[]): Promise<string> {
  return node.command(...command).catch(() => '')
}
