/** The Dockerfile without Docker: replays its build stage in a temporary folder, then runs the runtime stage's files. */
import { exec, spawn } from 'node:child_process'
import { builtinModules } from 'node:module'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { projectRoot } from '../src/project-root.js'
import { parentDeathSignal } from './instance-process.js'
import { freePort } from './redis-server.js'

// the build stage runs tsc twice: over a minute on a busy 2-core machine (its imports are kept light so this is set early)
t.setTimeout(300_000)

interface Instruction { keyword: string, args: string }
interface Stage { name: string | undefined, instructions: Instruction[] }

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
function stages (dockerfile: string): Stage[] {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  const found: Stage[] = []
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    if (keyword === 'FROM') found.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1], instructions: [] })
    else found.at(-1)?.instructions.push({ keyword, args })
  }
  return found
}

/** Whether .dockerignore keeps `path` (relative to the context) out of the build context. */
function ignored (path: string, patterns: string[]): boolean {
  const parts = path.split('/')
  return patterns.some((pattern) => {
    const regexp = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`)
    return parts.some((_, i) => regexp.test(parts.slice(0, i + 1).join('/')))
  })
}

/** COPY [--from=stage] src... dest, into `root` as the stage's WORKDIR; `stageRoots` maps a stage's WORKDIR to its folder. */
function copy (args: string, root: string, workdir: string, stageRoots: Map<string, string>, ignore: string[]): void {
  const from = /^--from=(\S+)\s+/.exec(args)
  const paths = args.replace(/^--from=\S+\s+/, '').split(/\s+/)
  const dest = join(root, paths.pop() as string)
  const many = paths.length > 1 || dest.endsWith('/')
  for (const source of paths) {
    const sourcePath = from === null
      ? join(projectRoot, source)
      : join(stageRoots.get(from[1]) as string, source.replace(new RegExp(`^${workdir}/?`), ''))
    const target = many ? join(dest, basename(source)) : dest
    if (from === null && ignored(source.replace(/\/$/, ''), ignore)) throw new Error(`COPY ${source}: .dockerignore keeps it out of the context`)
    if (!existsSync(sourcePath)) throw new Error(`COPY ${source}: not there (${sourcePath})`)
    cpSync(sourcePath, target, { recursive: true, filter: (path) => from !== null || !ignored(path.slice(projectRoot.length + 1), ignore) })
  }
}

/**
 * Replays one stage into `root`. `npm ci` is replaced by a link to the repository's node_modules:
 * npm ci installs exactly the lockfile's tree, which is what CI's own `npm ci` put there, and doing
 * it again here would take minutes and the network. Its flags still matter and are checked: the build
 * stage must skip `prepare` (--ignore-scripts), since the sources are not copied yet when it runs.
 */
async function replay (stage: Stage, root: string, stageRoots: Map<string, string>, ignore: string[], t: Test): Promise<void> {
  let workdir = '/'
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') workdir = args
    else if (keyword === 'COPY') copy(args, root, workdir, stageRoots, ignore)
    else if (keyword === 'RUN' && args.startsWith('npm ci')) {
      t.match(args, /--ignore-scripts/, `${stage.name ?? 'runtime'} stage: ${args}: no prepare before the sources are there`)
      symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'), 'dir')
    } else if (keyword === 'RUN') {
      // a RUN line sees the image's environment, not the test runner's (its coverage hooks would follow tsc)
      await promisify(exec)(args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME } })
    }
  }
}

/** Bare package names the compiled server imports, from its .js files. */
function importedPackages (dir: string): Set<string> {
  const names = new Set<string>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue
    const code = readFileSync(join(entry.parentPath, entry.name), 'utf8')
    // import ... from 'x', import 'x' and import('x'); not a method such as Buffer.from('x')
    for (const [, specifier] of code.matchAll(/(?:(?<![.\w])from\s*|\bimport\s*\(?\s*)'([^'.][^']*)'/g)) {
      names.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0])
    }
  }
  return names
}

t.test('the build stage builds from what it copies, and the runtime stage serves the page, the SDK and /ready', async (t) => {
  const [build, runtime] = stages(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8'))
  t.equal(build.name, 'build')
  const ignore = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  const work = mkdtempSync(join(tmpdir(), 'proxyer-docker-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const buildRoot = join(work, 'build')
  const runtimeRoot = join(work, 'runtime')
  mkdirSync(buildRoot)
  mkdirSync(runtimeRoot)

  await replay(build, buildRoot, new Map(), ignore, t)
  await replay(runtime, runtimeRoot, new Map([['build', buildRoot]]), ignore, t)
  for (const file of ['dist/src/server.js', 'dist/client/client/proxyer-client.js', 'public/index.html']) {
    t.ok(existsSync(join(runtimeRoot, file)), `the image holds ${file}`)
  }

  // the runtime stage installs production dependencies only: the server must import nothing else
  const { dependencies } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'))
  const missing = [...importedPackages(join(runtimeRoot, 'dist'))].filter((name) => !(name in dependencies) && !builtinModules.includes(name.replace(/^node:/, '')))
  t.same(missing, [], 'every package the server imports is a production dependency')

  const cmd = /^CMD\s+(\[.*\])$/m.exec(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8'))?.[1] as string
  const [command, ...args] = JSON.parse(cmd) as string[]
  t.equal(command, 'node')
  const port = await freePort()
  const [launcher, ...launcherArgs] = [...parentDeathSignal('KILL'), process.execPath, ...args]
  const server = spawn(launcher, launcherArgs, {
    cwd: runtimeRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'ignore'
  })
  const exited = new Promise((resolve) => server.once('exit', resolve))
  t.teardown(async () => { server.kill('SIGKILL'); await exited })
  const url = `http://127.0.0.1:${port}`
  // polled: the server says nothing when it is ready (LOG_LEVEL=warn); the test's timeout bounds the wait
  while ((await fetch(`${url}/ready`).then((res) => res.status, () => 0)) !== 200) await sleep(100)
  t.equal((await fetch(`${url}/client.js`)).status, 200, '/client.js')
  t.match(await (await fetch(`${url}/`)).text(), /<html/i, 'the page')
})

t.test('docker compose builds the image once and runs it for every instance', async (t) => {
  const compose = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8')
  t.equal(compose.match(/^\s+build:/gm)?.length, 1, 'one build')
  t.match(compose, /^\s+image: proxyer:local$/m, 'tagged, so the other instances run the same image')
})
