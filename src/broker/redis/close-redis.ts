/** Closes an ioredis connection without waiting on a Redis that cannot be reached. */
import type { RedisClient } from './scripts.js'

export async function closeRedis (redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect())
  } else {
    redis.disconnect()
  }
}
