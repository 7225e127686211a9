/** Waits at start for a first connection to Redis, and says what is wrong when none comes in time. */
import type { RedisClient } from './scripts.js'

interface Log {
  warn (obj: object, msg: string): void
}

/** `redis` is a client just created, still connecting; `where` names it in the error, without its password. */
export async function waitForRedis (redis: RedisClient, where: string, timeoutMs: number, log: Log): Promise<void> {
  let lastError: Error | undefined
  await new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      stop()
      resolve()
    }
    const onError = (err: Error): void => {
      // ioredis retries on its own; one line says why the start waits
      if (lastError === undefined) log.warn({ err, redis: where }, 'waiting for Redis')
      lastError = err
    }
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`Redis at ${where} did not answer within ${timeoutMs} ms (REDIS_CONNECT_TIMEOUT_MS)${lastError === undefined ? '' : `: ${lastError.message}`}`))
    }, timeoutMs)
    const stop = (): void => {
      clearTimeout(timer)
      redis.off('ready', onReady).off('error', onError)
    }
    redis.on('ready', onReady).on('error', onError)
  })
}

/** The address as a log or an error may show it: any password masked (in the userinfo or as `?password=`). */
export function redactedUrl (url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***')
  return parsed.toString()
}
