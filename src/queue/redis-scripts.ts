/** Loads the work-queue Lua scripts from lua/ once, each with common.lua in front, as commands on an ioredis client. */
import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'

const SCRIPTS = ['enqueue', 'claim', 'ack', 'nack', 'extend', 'sweep', 'status', 'positions', 'stats', 'heartbeat'] as const
type ScriptName = typeof SCRIPTS[number]

type Arg = string | number

/** Runs a script with the five common arguments (prefix, now, max attempts, result TTL, queue TTL) and its own. */
export type RunScript = (name: ScriptName, common: Arg[], args: Arg[]) => Promise<unknown>

export function loadScripts (redis: Redis): RunScript {
  // beside this file: the build copies lua/ next to the compiled one, as it does the broker's scripts
  const read = (name: string): string => readFileSync(new URL(`lua/${name}.lua`, import.meta.url), 'utf8')
  const common = read('common')
  for (const name of SCRIPTS) {
    redis.defineCommand(`queue_${name}`, { numberOfKeys: 0, lua: common + '\n' + read(name) })
  }
  const commands = redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>
  return async (name, commonArgs, args) => commands[`queue_${name}`](...commonArgs, ...args)
}
