/** Where the log goes: one readable line per event on a terminal, JSON lines (for log collectors) otherwise. */
import { createRequire } from 'node:module'
import type { DestinationStream } from 'pino'
import type { prettyFactory as PrettyFactory } from 'pino-pretty'

interface Output extends NodeJS.WritableStream {
  isTTY?: boolean
}

/** pino options for `level`: pretty lines when `out` is a terminal, pino's own JSON to stdout otherwise. */
export function logOptions (level: string, out: Output = process.stdout): { level: string, stream?: DestinationStream } {
  if (out.isTTY !== true) return { level }
  // loaded only for a terminal: a server whose output is collected never reads pino-pretty's 30 modules
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as { prettyFactory: typeof PrettyFactory }
  const pretty = prettyFactory({
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // the request line's message already says method, URL, status and time
    ignore: 'pid,hostname,reqId,req,res,responseTime'
  })
  // formatted in this thread as each line is written: nothing is lost when the process exits
  return { level, stream: { write: (line: string) => { out.write(pretty(line)) } } }
}
