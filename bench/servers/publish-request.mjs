/** POST /publish/:topic for the baseline servers, on plain node:http: read, parse, publish, answer. */
const PATH = /^\/publish\/([A-Za-z0-9_.:-]{1,128})$/
const MAX_BODY = 64 * 1024

/** Calls `publish(topic, message)`, which returns the subscriber count, and answers as proxyer does. */
export function handlePublishRequest (req, res, publish) {
  const match = req.method === 'POST' ? PATH.exec(req.url) : null
  if (match === null) {
    res.writeHead(404).end()
    return
  }
  const chunks = []
  let size = 0
  req.on('data', (chunk) => {
    size += chunk.length
    if (size <= MAX_BODY) chunks.push(chunk)
  })
  req.on('end', () => {
    let body
    try {
      body = JSON.parse(Buffer.concat(chunks).toString())
    } catch {
      res.writeHead(400).end()
      return
    }
    const topic = match[1]
    const subscribers = publish(topic, body.message)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ topic, subscribers }))
  })
}
