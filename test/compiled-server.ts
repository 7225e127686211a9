/** Builds the server once for a test file that runs it compiled, into the ignored tmp/ folder, removed when the file ends. */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { projectRoot } from '../src/project-root.js'
import type { Teardown } from './helper.js'

/**
 * Compiles src/ with tsconfig.build.json (under the project root, so the build finds node_modules and
 * the public folder) and resolves with the path of its server.js. Built afresh rather than taken from
 * dist/, which may be older than the code under test.
 */
export async function compileServer (t: Teardown): Promise<string> {
  mkdirSync(join(projectRoot, 'tmp'), { recursive: true })
  const build = mkdtempSync(join(projectRoot, 'tmp', 'server-build-'))
  t.teardown(() => rmSync(build, { recursive: true, force: true }))
  await promisify(execFile)(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.build.json'), '--outDir', build])
  // the Lua scripts go beside their compiled loaders, as `npm run build` puts them
  for (const file of readdirSync(join(projectRoot, 'src'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.lua'))) {
    cpSync(join(projectRoot, 'src', file), join(build, 'src', file))
  }
  return join(build, 'src', 'server.js')
}
