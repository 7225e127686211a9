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
  REDIS_PREFIX: Type.String({ default: 'proxyer:' }),
  REDIS_BRIDGE: Type.String({ default: '' }),
  REDIS_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  INSTANCE_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  INSTANCE_TTL_MS: Type.Integer({ minimum: 300, default: 5000 }),
  METRICS: Type.Boolean({ default: true }),
  METRICS_ALLOW: Type.String({ default: '' })
})

export type Config = Static<typeof ConfigSchema>

/**
 * Reads and validates the configuration; a bad value throws an error naming
 * the variable. `env` defaults to process.env (and a .env file when present).
 */
export function loadConfig (env?: Record<string, unknown>): Config {
  try {
    return envSchema<Config>({
      schema: ConfigSchema,
      data: env ?? process.env,
      dotenv: env === undefined
    })
  } catch (err) {
    // ajv says "env/PORT must be integer"; a person wants the variable's name up front
    const reason = (err as Error).message.replaceAll('env/', '')
    throw new Error(`Invalid configuration: ${reason}`)
  }
}
