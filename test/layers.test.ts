/** The layer check of `npm test`: a tree that imports against the layers fails it, the project's own passes. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { layerViolations } from '../scripts/check-layers.js'
import { projectRoot } from '../src/project-root.js'

function tree (dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
}

t.test('the project imports only downwards', async (t) => {
  t.same(layerViolations(projectRoot), [])
})

t.test('a broker file importing the transport, a plugin or the Redis engine fails the check', async (t) => {
  const dir = t.testdir()
  tree(dir, {
    'src/broker/topic-log.ts': "import { encodeTextFrame } from '../transport/websocket-frame.js'\nimport '../../plugins/websocket.js'\n",
    'src/broker/memory-broker.ts': "import type { RedisKeys } from './redis/keys.js'\n",
    'src/broker/redis/redis-broker.ts': "import { TopicRegistry } from '../topic-registry.js'\nexport { Publication } from '../publication.js'\n",
    'src/transport/session.ts': "import { Broker } from '../broker/broker.js'\nconst later = import('../../routes/message.js')\n",
    'routes/message.ts': "import { releaseUpgrade } from '../plugins/websocket.js'\nimport fp from 'fastify-plugin'\n",
    'client/proxyer-client.ts': "import { ErrorCode } from '../src/contract/codes.js'\nimport { Topic } from '../src/contract/schemas.js'\n"
  })
  t.same(layerViolations(dir).map(({ file, imports }) => `${file} -> ${imports}`).sort(), [
    'client/proxyer-client.ts -> src/contract/schemas.ts',
    'routes/message.ts -> plugins/websocket.ts',
    'src/broker/memory-broker.ts -> src/broker/redis/keys.ts',
    'src/broker/topic-log.ts -> plugins/websocket.ts',
    'src/broker/topic-log.ts -> src/transport/websocket-frame.ts',
    'src/transport/session.ts -> routes/message.ts'
  ], 'each import against the layers, and only those')
  t.match(layerViolations(dir).find((v) => v.file === 'src/broker/topic-log.ts'), { why: /never imports the transport/ })
})
