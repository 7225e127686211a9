/** Times every Redis command through ioredis' `ioredis:command` tracing channel, from its write to its reply. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Histogram } from 'prom-client'

/** ioredis' CommandTraceContext, the fields read here. */
interface CommandContext {
  command: string
  serverAddress: string
  serverPort?: number
}

const START = 'tracing:ioredis:command:start'
const END = 'tracing:ioredis:command:asyncEnd'

/**
 * Observes the commands sent to the Redis at `server` (ioredis' options of the client: the channel is
 * process-wide, and ioredis names each command's server from those options, so another Redis's commands
 * stay out). Returns the function that stops it. Failed and timed-out commands are observed too.
 */
export function timeRedisCommands (histogram: Histogram<'command'>, server: { host?: string, port?: number }): () => void {
  const started = new WeakMap<object, number>()
  const onStart = (message: unknown): void => {
    const context = message as CommandContext
    if (context.serverAddress === server.host && context.serverPort === server.port) started.set(context, performance.now())
  }
  const onEnd = (message: unknown): void => {
    const context = message as CommandContext
    const at = started.get(context)
    if (at === undefined) return
    started.delete(context)
    histogram.observe({ command: context.command }, (performance.now() - at) / 1000)
  }
  subscribe(START, onStart)
  subscribe(END, onEnd)
  return () => {
    unsubscribe(START, onStart)
    unsubscribe(END, onEnd)
  }
}
