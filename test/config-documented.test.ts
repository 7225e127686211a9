/** Every setting of the configuration schema is in .env.example and in the README's configuration table, with the same default, and nothing else is. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigSchema } from '../src/config.js'
import { projectRoot } from '../src/project-root.js'

const read = (file: string): string => readFileSync(join(projectRoot, file), 'utf8')
const defaults = new Map(Object.entries(ConfigSchema.properties).map(([name, schema]) => [name, (schema as { default?: unknown }).default]))

/** `NAME=value` lines, and `# NAME=example` for a setting left unset. */
const envExample = new Map([...read('.env.example').matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, commented, name, value]) => [name, commented === undefined ? value : undefined]))

/** The rows of the table under "## Configuration" (`| \`NAME\` | default | meaning |`): name -> the default column. */
const readme = read('README.md')
const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1))
const readmeTable = new Map([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)].map(([, name, value]) => [name, value.trim()]))

t.test('.env.example lists every setting and only those', async (t) => {
  t.same([...envExample.keys()].sort(), [...defaults.keys()].sort())
})

t.test('the README\'s configuration table lists every setting and only those', async (t) => {
  t.same([...readmeTable.keys()].sort(), [...defaults.keys()].sort())
})

t.test('a setting shows its default in both: a value, or "empty"; without one it is commented out in .env.example', async (t) => {
  for (const [name, value] of defaults) {
    if (value === undefined) {
      // the README says what applies then: "unset", or one worked out at start (twice the rate, hostname-pid-random)
      t.equal(envExample.get(name), undefined, `${name} has no default: commented out in .env.example`)
    } else if (value === '') {
      // an example value may stand commented out beside an empty default
      t.equal(envExample.get(name) ?? '', '', `${name}: empty or commented out in .env.example`)
      t.equal(readmeTable.get(name), 'empty', `${name}: "empty" in the README`)
    } else {
      t.equal(envExample.get(name), String(value), `${name}'s default in .env.example`)
      t.equal(readmeTable.get(name), `\`${String(value)}\``, `${name}'s default in the README`)
    }
  }
})
