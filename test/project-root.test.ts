/** The project root is found from any folder inside it, and a folder outside any project says so instead of searching forever. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { findRoot, projectRoot } from '../src/project-root.js'

t.test('from a folder deep inside the project, the folder holding package.json', async (t) => {
  t.equal(findRoot(join(projectRoot, 'src', 'broker', 'redis')), projectRoot)
})

t.test('from a folder with no package.json above it, an error rather than an endless search', async (t) => {
  const outside = mkdtempSync(join(tmpdir(), 'proxyer-no-project-'))
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  t.throws(() => findRoot(outside), /No package.json in any folder above the code/)
})
