/** The server compiled for the tests that run it as a process: built once per state of the code, into the ignored tmp/ folder. */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { projectRoot } from '../src/project-root.js'

/** What the build reads: the sources of the server and the settings it is compiled with. */
const SOURCE_DIRS = ['src', 'plugins', 'routes']
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json']
const PREFIX = 'test-server-'
const PARTIAL = 'test-server-partial-'
/** Builds of older code (and any a killed run left half done) are removed once this old: long enough for any run that may still use one. */
const STALE_MS = 60 * 60 * 1000

/**
 * Resolves with the path of a server.js compiled from the code as it is now (so never an older dist/),
 * under the project root so it finds node_modules and public/. The tests run compiled (`npm run
 * build:tests`), and the server compiled with them is used. Run from TypeScript (the benches, through
 * tsx), it is built with tsconfig.build.json and kept in tmp/ under a hash of the sources: the next
 * run of the same code starts it with plain node at once instead of compiling the app again (tsx per
 * start costs twice the CPU of a compiled start, and its loader hangs node:cluster workers, privatenumber/tsx#648).
 */
export async function compiledServer (): Promise<string> {
  const besideTests = fileURLToPath(new URL('../src/server.js', import.meta.url))
  if (existsSync(besideTests)) return besideTests
  const tmp = join(projectRoot, 'tmp')
  const build = join(tmp, PREFIX + sourceHash())
  const serverJs = join(build, 'src', 'server.js')
  if (existsSync(serverJs)) return serverJs
  mkdirSync(tmp, { recursive: true })
  // built aside and renamed into place, so a test file running beside this one never sees half a build
  const partial = mkdtempSync(join(tmp, PARTIAL))
  try {
    await promisify(execFile)(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.build.json'), '--outDir', partial])
    // the Lua scripts go beside their compiled loaders, as `npm run build` puts them
    for (const file of sourceFiles().filter((name) => name.endsWith('.lua'))) cpSync(join(projectRoot, file), join(partial, file))
    renameSync(partial, build)
  } catch (err) {
    rmSync(partial, { recursive: true, force: true })
    // another test file finished the same build first: use that one
    if (!existsSync(serverJs)) throw err
  }
  removeStaleBuilds(tmp, build)
  return serverJs
}

function sourceFiles (): string[] {
  return SOURCE_DIRS.flatMap((dir) => readdirSync(join(projectRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') || name.endsWith('.lua'))
    .map((name) => join(dir, name)))
    .sort()
}

function sourceHash (): string {
  const hash = createHash('sha256')
  for (const file of [...SETTINGS, ...sourceFiles()]) hash.update(file).update('\0').update(readFileSync(join(projectRoot, file))).update('\0')
  return hash.digest('hex').slice(0, 16)
}

function removeStaleBuilds (tmp: string, current: string): void {
  for (const name of readdirSync(tmp)) {
    const path = join(tmp, name)
    if (path !== current && name.startsWith(PREFIX) && Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true })
  }
}
