/** The environment proxyer reads, as one typebox schema validated at start. */
import { Type, type Static } from '@sinclair/typebox'
import envSchema from 'env-schema'
import { parseBridge, type BridgeRule } from './broker/redis/bridge.js'
import { accessSettings } from './access/access-settings.js'
import { AllowedOrigins } from './access/allowed-origins.js'
import { trustProxy } from './trust-proxy.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = typeof LOG_LEVELS[number]

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: LOG_LEVELS, default: 'info' }),
  MAX_MESSAGE_BYTES: Type.Integer({ minimum: 64, maximum: 16 * 1024 * 1024, default: 64 * 1024 }),
  PING_INTERVAL_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  MAX_SUBSCRIPTIONS: Type.Integer({ minimum: 1, default: 100 }),
  MAX_QUEUED_BYTES: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
  // unset: 200 once an identity is configured, no limit otherwise (see src/access/access-control.ts)
  RATE_LIMIT_PER_SECOND: Type.Optional(Type.Integer({ minimum: 1 })),
  RATE_LIMIT_BURST: Type.Optional(Type.Integer({ minimum: 1 })),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  MAX_SOCKETS: Type.Integer({ minimum: 1, default: 16_000 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  TOPIC_TTL_SECONDS: Type.Integer({ minimum: 1, default: 3600 }),
  HISTORY_SIZE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1000 }),
  HISTORY_TTL: Type.Integer({ minimum: 0, default: 600 }),
  IDEMPOTENCY_TTL: Type.Integer({ minimum: 1, default: 300 }),
  IDEMPOTENCY_MAX_KEYS: Type.Integer({ minimum: 1, default: 100_000 }),
  HISTORY_TOPIC_MAX_BYTES: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
  HISTORY_MAX_BYTES: Type.Integer({ minimum: 1024, default: 256 * 1024 * 1024 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_TLS: Type.Boolean({ default: false }),
  REDIS_PREFIX: Type.String({ default: 'proxyer:' }),
  /** channel=topic,pattern*=topic: parsed into rules by loadConfig() */
  REDIS_BRIDGE: Type.String({ default: '' }),
  REDIS_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  INSTANCE_TTL_MS: Type.Integer({ minimum: 300, default: 5000 }),
  API_KEYS: Type.String({ default: '' }),
  // RFC 7518: an HS256 key at least as long as the hash
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  ANONYMOUS: Type.Optional(Type.String()),
  TOKEN_GRACE_MS: Type.Integer({ minimum: 0, default: 30_000 }),
  ALLOWED_ORIGINS: Type.String({ default: '*' }),
  TRUST_PROXY: Type.Optional(Type.String()),
  MAX_CONNECTIONS: Type.Optional(Type.Integer({ minimum: 1 })),
  MAX_CONNECTIONS_PER_IP: Type.Optional(Type.Integer({ minimum: 1 })),
  MAX_TOPICS: Type.Integer({ minimum: 1, default: 100_000 }),
  POSITION_INTERVAL_MS: Type.Integer({ minimum: 50, default: 2000 }),
  QUEUE_MAX_LENGTH: Type.Integer({ minimum: 1, default: 100_000 }),
  JOB_VISIBILITY_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  JOB_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 5 }),
  JOB_RESULT_TTL: Type.Integer({ minimum: 1, default: 600 }),
  /** Jobs one socket may follow (queued by it or watched) at once, so a client cannot make the server hold unbounded listeners. */
  MAX_WATCHED_JOBS: Type.Integer({ minimum: 1, default: 1000 }),
  WORKERS: Type.Integer({ minimum: 1, maximum: 256, default: 1 }),
  METRICS: Type.Boolean({ default: true }),
  METRICS_ALLOW: Type.String({ default: '' })
})

/** The environment as validated, with REDIS_BRIDGE parsed into its rules. */
export type Config = Omit<Static<typeof ConfigSchema>, 'REDIS_BRIDGE'> & { REDIS_BRIDGE: BridgeRule[] }

/**
 * Reads and validates the configuration; a bad value throws an error naming
 * the variable. `env` defaults to process.env (and a .env file when present).
 */
export function loadConfig (env?: Record<string, unknown>): Config {
  const config = validated(env)
  // values a schema cannot judge (ANONYMOUS's JSON, a key file, origins, proxies) are checked at start too
  accessSettings(config)
  new AllowedOrigins(config.ALLOWED_ORIGINS) // eslint-disable-line no-new
  trustProxy(config.TRUST_PROXY)
  checkRedisChoice(config)
  return config
}

function validated (env: Record<string, unknown> | undefined): Config {
  let values: Static<typeof ConfigSchema>
  try {
    values = envSchema<Static<typeof ConfigSchema>>({
      schema: ConfigSchema,
      data: env ?? process.env,
      dotenv: env === undefined
    })
  } catch (err) {
    // ajv says "env/PORT must be integer"; a person wants the variable's name up front
    const reason = (err as Error).message.replaceAll('env/', '')
    throw new Error(`Invalid configuration: ${reason}`)
  }
  return { ...values, REDIS_BRIDGE: parseBridge(values.REDIS_BRIDGE) }
}
/** One Redis or one Redis Cluster, each seed a host:port, and several workers only with one of them and a fixed port. */
function checkRedisChoice (config: Config): void {
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    if (config.REDIS_URL !== undefined) {
      throw new Error('Invalid configuration: set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both')
    }
    clusterSeeds(config.REDIS_CLUSTER_NODES)
    // a topic's keys take their hash tag from the first { }: one in the prefix would put every topic on one shard
    if (/[{}]/.test(config.REDIS_PREFIX)) {
      throw new Error(`Invalid configuration: REDIS_PREFIX "${config.REDIS_PREFIX}" must hold no { or } with REDIS_CLUSTER_NODES, since the topics' hash tags follow it`)
    }
  }
  if (config.WORKERS > 1 && config.REDIS_URL === undefined && config.REDIS_CLUSTER_NODES === undefined) {
    throw new Error(`Invalid configuration: WORKERS=${config.WORKERS} needs REDIS_URL or REDIS_CLUSTER_NODES, since each worker is an instance and instances share topics only through Redis`)
  }
  // a worker counts as started once it listens on PORT; with PORT=0 each would listen on a port of its own
  if (config.WORKERS > 1 && config.PORT === 0) {
    throw new Error(`Invalid configuration: WORKERS=${config.WORKERS} needs a fixed PORT (not 0), since the workers share one port`)
  }
}

/** REDIS_CLUSTER_NODES as ioredis' Cluster takes its seeds; throws a sentence naming the bad entry. */
export function clusterSeeds (spec: string): Array<{ host: string, port: number }> {
  const entries = spec.split(',').map((entry) => entry.trim())
  return entries.map((entry) => {
    // host:port, the host a name, an IPv4 address or a bracketed IPv6 address
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry)
    const port = Number(match?.[2])
    if (match === null || port < 1 || port > 65535) {
      throw new Error(`Invalid configuration: REDIS_CLUSTER_NODES entry "${entry}" must be host:port (port 1 to 65535), entries separated by commas, as in 10.0.0.1:7000,10.0.0.2:7000`)
    }
    return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port }
  })
}
