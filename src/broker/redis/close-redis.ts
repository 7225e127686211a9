/** Closes an ioredis connection without waiting on a Redis that cannot be reached. */
import type { Redis } from 'ioredis'

export async function closeRedis (redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect())
  } else {
    redis.disconnect()
  }
}
