/** The project's root folder, whether code runs from the sources or from dist/. */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (dir: string): string {
  return existsSync(join(dir, 'package.json')) ? dir : findRoot(dirname(dir))
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)))
