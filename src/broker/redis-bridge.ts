/** REDIS_BRIDGE: Redis channels that services already PUBLISH to, fed into proxyer topics. */
import { isValidTopic, TOPIC_RULE } from '../protocol.js'

export interface BridgeRule {
  /** A Redis channel name, or a glob pattern when it holds * ? or [. */
  source: string
  pattern: boolean
  topic: string
}

/** Parses `channel=topic,pattern*=topic`; throws a sentence naming the bad entry. */
export function parseBridge (spec: string): BridgeRule[] {
  return spec.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    const at = entry.lastIndexOf('=')
    const source = entry.slice(0, at).trim()
    const topic = entry.slice(at + 1).trim()
    if (at <= 0 || source === '' || !isValidTopic(topic)) {
      throw new Error(`Invalid configuration: REDIS_BRIDGE entry "${entry}" must be channel=topic, the topic made of ${TOPIC_RULE}`)
    }
    return { source, pattern: /[*?[]/.test(source), topic }
  })
}
