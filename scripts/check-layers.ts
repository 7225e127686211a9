/** Fails when an import runs against the layers: app shell -> routes and plugins -> transport -> broker, queue, access -> engines, all -> contract. */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A folder's files may not import from the folders listed (paths from the project root, prefixes). */
interface Rule {
  from: string
  /** Files under `from` that the rule leaves out. */
  except?: string
  forbidden: string[]
  why: string
}

const SHELL = ['src/app.ts', 'src/server.ts', 'src/config.ts', 'src/project-root.ts']

export const RULES: Rule[] = [
  { from: 'src/contract/', forbidden: ['src/broker/', 'src/transport/', 'plugins/', 'routes/', ...SHELL], why: 'the wire contract stands alone: everyone imports it' },
  { from: 'src/broker/', forbidden: ['src/transport/', 'plugins/', 'routes/', ...SHELL], why: 'the broker core never imports the transport or the app' },
  { from: 'src/broker/', except: 'src/broker/redis/', forbidden: ['src/broker/redis/'], why: 'the core knows no engine detail: the Redis engine imports the core' },
  { from: 'src/transport/', forbidden: ['plugins/', 'routes/', ...SHELL], why: 'the transport is below the app that registers it' },
  { from: 'src/access/', forbidden: ['src/broker/', 'src/transport/', 'plugins/', 'routes/', 'src/app.ts', 'src/server.ts'], why: 'access control judges identities and names: it meets the transport through the Identity it hands over' },
  { from: 'src/queue/', forbidden: ['src/transport/', 'src/access/', 'plugins/', 'routes/', ...SHELL], why: 'work queues are a core of their own: the transport and routes call them' },
  { from: 'routes/', forbidden: ['plugins/'], why: 'routes use what plugins decorate, never a plugin file' },
  { from: 'client/', forbidden: ['src/broker/', 'src/transport/', 'plugins/', 'routes/', 'src/contract/schemas.ts', 'src/contract/frames.ts', ...SHELL], why: 'browsers load the SDK without a bundler: it may import only src/contract/codes.ts' }
]

const FOLDERS = ['src', 'plugins', 'routes', 'client']
/** `import x from '…'`, `import '…'`, `export … from '…'` and `import('…')` */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?from\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

export interface Violation {
  file: string
  imports: string
  why: string
}

/** Every import under `root` that breaks a rule. */
export function layerViolations (root: string): Violation[] {
  const violations: Violation[] = []
  for (const file of FOLDERS.flatMap((folder) => sourceFiles(root, folder))) {
    const text = readFileSync(join(root, file), 'utf8')
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]
      if (!specifier.startsWith('.')) continue
      const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts')
      for (const rule of RULES) {
        if (!file.startsWith(rule.from) || (rule.except !== undefined && file.startsWith(rule.except))) continue
        if (rule.forbidden.some((forbidden) => target.startsWith(forbidden))) violations.push({ file, imports: target, why: rule.why })
      }
    }
  }
  return violations
}

function sourceFiles (root: string, folder: string): string[] {
  let entries
  try {
    entries = readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
  } catch {
    return [] // a tree without this folder has nothing to check in it
  }
  return entries.filter((entry) => entry.isFile() && /\.[cm]?[jt]s$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
}

/* c8 ignore start: the command line, run by `npm test` itself rather than by a test file */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  const violations = layerViolations(root)
  for (const { file, imports, why } of violations) console.error(`${file} imports ${imports}: ${why}`)
  if (violations.length > 0) process.exit(1)
  console.log('layers: every import points the right way')
}
/* c8 ignore stop */
