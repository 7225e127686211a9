/** Loads the work-queue Lua scripts from lua/ once, each with common.lua in front, as commands on an ioredis client. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { projectRoot } from '../project-root.js'

const SCRIPTS = ['enqueue', 'claim', 'ack', 'nack', 'extend', 'sweep', 'status', 'positions', 'stats', 'heartbeat'] as const
type ScriptName = typeof SCRIPTS[number]

type Arg = string | number

/** Runs a script with the five common arguments (prefix, now, max attempts, result TTL, queue TTL) and its own. */
export type RunScript = (name: ScriptName, common: Arg[], args: Arg[]) => Promise<unknown>

export function loadScripts (redis: Redis): RunScript {
  // the .lua files stay in src/ (the build does not copy them), found from the project root
  const folder = join(projectRoot, 'src', 'queue', 'lua')
  const common = readFileSync(join(folder, 'common.lua'), 'utf8')
  for (const name of SCRIPTS) {
    redis.defineCommand(`queue_${name}`, { numberOfKeys: 0, lua: common + '\n' + readFileSync(join(folder, `${name}.lua`), 'utf8') })
  }
  const commands = redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>
  return async (name, commonArgs, args) => commands[`queue_${name}`](...commonArgs, ...args)
}
