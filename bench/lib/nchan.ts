/** Nchan's process: Debian's nginx with libnginx-mod-nchan, on bench/servers/nchan.conf in a directory of its own. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so'

/** Why Nchan cannot run here, with how to install it; undefined when it can. The bench installs nothing itself. */
export function nchanMissing (): string | undefined {
  const nginx = spawnSync('nginx', ['-v'])
  if (nginx.error !== undefined || nginx.status !== 0) return 'nginx is not installed (Debian/Ubuntu: sudo apt-get install nginx-light libnginx-mod-nchan)'
  if (!existsSync(MODULE)) return `the Nchan module is missing (${MODULE}; Debian/Ubuntu: sudo apt-get install libnginx-mod-nchan)`
  return undefined
}

/** nginx's argv for a fresh instance on `port`; its configuration, pid file and temp files live in a new directory. */
export function nchanArgv (root: string, port: number): { argv: string[], dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nchan-'))
  mkdirSync(join(dir, 'tmp'))
  const config = readFileSync(join(root, 'bench', 'servers', 'nchan.conf'), 'utf8')
    .replace('@MODULE@', MODULE)
    .replace('@PORT@', String(port))
  writeFileSync(join(dir, 'nchan.conf'), config)
  return { argv: ['nginx', '-e', 'stderr', '-p', `${dir}/`, '-c', join(dir, 'nchan.conf')], dir }
}
