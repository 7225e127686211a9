/** The project's root folder, whether code runs from the sources or from dist/. */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The nearest folder from `dir` up that holds a package.json; throws at the filesystem's root. */
export function findRoot (dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir
  const parent = dirname(dir)
  if (parent === dir) throw new Error('No package.json in any folder above the code: run proxyer from its project folder')
  return findRoot(parent)
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)))
