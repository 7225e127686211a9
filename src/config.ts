/** The environment proxyer reads, as one typebox schema validated at start. */
import { Type, type Static } from '@sinclair/typebox'
import envSchema from 'env-schema'

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
  RATE_LIMIT_PER_SECOND: Type.Integer({ minimum: 1, default: 200 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  TOPIC_TTL_SECONDS: Type.Integer({ minimum: 1, default: 3600 }),
  HISTORY_SIZE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1000 }),
  HISTORY_TTL: Type.Integer({ minimum: 0, default: 600 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_TLS: Type.Boolean({ default: false }),
  REDIS_PREFIX: Type.String({ default: 'proxyer:' }),
  REDIS_BRIDGE: Type.String({ default: '' }),
  REDIS_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  INSTANCE_TTL_MS: Type.Integer({ minimum: 300, default: 5000 }),
  WORKERS: Type.Integer({ minimum: 1, maximum: 256, default: 1 })
})

export type Config = Static<typeof ConfigSchema>

/**
 * Reads and validates the configuration; a bad value throws an error naming
 * the variable. `env` defaults to process.env (and a .env file when present).
 */
export function loadConfig (env?: Record<string, unknown>): Config {
  let config: Config
  try {
    config = envSchema<Config>({
      schema: ConfigSchema,
      data: env ?? process.env,
      dotenv: env === undefined
    })
  } catch (err) {
    // ajv says "env/PORT must be integer"; a person wants the variable's name up front
    const reason = (err as Error).message.replaceAll('env/', '')
    throw new Error(`Invalid configuration: ${reason}`)
  }
  checkRedisChoice(config)
  return config
}

/** One Redis or one Redis Cluster, each seed a host:port, and several workers only with one of them. */
function checkRedisChoice (config: Config): void {
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    if (config.REDIS_URL !== undefined) {
      throw new Error('Invalid configuration: set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both')
    }
    clusterSeeds(config.REDIS_CLUSTER_NODES)
  }
  if (config.WORKERS > 1 && config.REDIS_URL === undefined && config.REDIS_CLUSTER_NODES === undefined) {
    throw new Error(`Invalid configuration: WORKERS=${config.WORKERS} needs REDIS_URL or REDIS_CLUSTER_NODES, since each worker is an instance and instances share topics only through Redis`)
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
