/** POST /publish/:topic on plain node:http: read, parse, publish, answer. No validation beyond the topic's rule. */
// the wire contract's topic rule, as `npm run build` (run by the bench first) compiles it for the SDK
import { isValidTopic } from '../../dist/client/src/contract/codes.js'

const PATH = /^\/publish\/([^/]+)$/
const MAX_BODY = 64 * 1024

/**
 * Calls `publish(topic, message)`, which returns the reply's body or a Promise of it (proxyer's broker),
 * and answers it with 200; 503 if it fails, as proxyer does while its broker is down.
 */
export function handlePublishRequest (req, res, publish) {
  const match = req.method === 'POST' ? PATH.exec(req.url) : null
  if (match === null || !isValidTopic(match[1])) {
    res.writeHead(404).end()
    return
  }
  const chunks = []
  let size = 0
  req.on('data', (chunk) => {
    size += chunk.length
    if (size <= MAX_BODY) chunks.push(chunk)
  })
  req.on('end', async () => {
    let body
    try {
      body = JSON.parse(Buffer.concat(chunks).toString())
    } catch {
      res.writeHead(400).end()
      return
    }
    let reply
    try {
      reply = await publish(match[1], body.message)
    } catch {
      res.writeHead(503).end()
      return
    }
    // content-length, as Fastify sends: the same framing for the client, no chunked encoding
    const json = JSON.stringify(reply)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json)
  })
}
