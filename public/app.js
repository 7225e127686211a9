// The live board's script: one WebSocket to /message that reconnects and resubscribes, plus the topics table.

const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/message`
const TOPIC = /^[A-Za-z0-9_.:-]{1,128}$/
const MAX_MESSAGES = 200
const TOPICS_REFRESH_MS = 2000
const BACKOFF_FIRST_MS = 500
const BACKOFF_MAX_MS = 10_000
const REQUEST_TIMEOUT_MS = 10_000

const $ = (id) => document.getElementById(id)
const ui = {
  status: $('status'),
  subscribeForm: $('subscribe-form'),
  topicInput: $('topic-input'),
  subscribeFeedback: $('subscribe-feedback'),
  subscriptions: $('subscriptions'),
  noSubscriptions: $('no-subscriptions'),
  publishForm: $('publish-form'),
  publishTopic: $('publish-topic'),
  publishMessage: $('publish-message'),
  publishJson: $('publish-json'),
  publishButton: $('publish-button'),
  publishResult: $('publish-result'),
  messages: $('messages'),
  messageCount: $('message-count'),
  noMessages: $('no-messages'),
  clearMessages: $('clear-messages'),
  notice: $('notice'),
  topicsBody: document.querySelector('#topics-table tbody'),
  topicsFeedback: $('topics-feedback')
}

/** The topics the person asked for, kept across reconnects; value: 'pending' until the server confirms. */
const subscriptions = new Map()
/** Replies awaited by request id. */
const pending = new Map()
let socket = null
let attempt = 0
let reconnectTimer = null
let nextId = 1

// ---- connection -----------------------------------------------------------

function connect () {
  clearTimeout(reconnectTimer)
  reconnectTimer = null
  setStatus(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'Connecting…' : 'Reconnecting…')
  const ws = new WebSocket(WS_URL)
  socket = ws
  ws.addEventListener('open', () => {
    attempt = 0
    setStatus('connected', 'Connected')
    for (const topic of subscriptions.keys()) sendSubscribe(topic)
  })
  ws.addEventListener('message', (event) => receive(event.data))
  ws.addEventListener('close', () => {
    if (socket !== ws) return
    socket = null
    failPending('the connection was lost')
    for (const topic of subscriptions.keys()) subscriptions.set(topic, 'pending')
    renderSubscriptions()
    scheduleReconnect()
  })
}

/** Exponential backoff with full jitter, capped at BACKOFF_MAX_MS. */
function scheduleReconnect () {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt)
  const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2)
  attempt++
  setStatus('reconnecting', `Reconnecting in ${(delay / 1000).toFixed(1)} s…`)
  reconnectTimer = setTimeout(connect, delay)
}

// the network is back: no reason to wait out the backoff
window.addEventListener('online', () => { if (reconnectTimer !== null) connect() })

function setStatus (state, text) {
  ui.status.dataset.state = state
  ui.status.textContent = text
}

/** Sends a request with an id; `onReply` gets the server's reply or error frame (or a local error). */
function request (frame, onReply) {
  if (socket === null || socket.readyState !== WebSocket.OPEN) {
    onReply({ action: 'error', code: 'offline', error: 'Not connected; try again in a moment' })
    return
  }
  const id = nextId++
  const timer = setTimeout(() => settle(id, { action: 'error', code: 'timeout', error: 'The server did not answer' }), REQUEST_TIMEOUT_MS)
  pending.set(id, { onReply, timer })
  socket.send(JSON.stringify({ ...frame, id }))
}

function settle (id, frame) {
  const waiting = pending.get(id)
  if (waiting === undefined) return false
  pending.delete(id)
  clearTimeout(waiting.timer)
  waiting.onReply(frame)
  return true
}

function failPending (reason) {
  for (const id of [...pending.keys()]) settle(id, { action: 'error', code: 'offline', error: `No answer: ${reason}` })
}

function receive (data) {
  let frame
  try {
    frame = JSON.parse(data)
  } catch {
    return
  }
  if (frame === null || typeof frame !== 'object') return
  if (frame.action === 'publish' && typeof frame.topic === 'string') {
    addMessage(frame.topic, frame.message)
    return
  }
  if (frame.id !== undefined && settle(frame.id, frame)) return
  if (frame.action === 'error') ui.notice.textContent = `${frame.error} (${frame.code})`
}

// ---- subscriptions ---------------------------------------------------------

function sendSubscribe (topic) {
  request({ action: 'subscribe', topic }, (reply) => {
    if (!subscriptions.has(topic)) return
    if (reply.action === 'subscribed') {
      subscriptions.set(topic, 'active')
    } else if (reply.code !== 'offline') {
      // refused by the server (bad topic, too many subscriptions): drop it rather than retry forever
      subscriptions.delete(topic)
      showFeedback(ui.subscribeFeedback, `Could not subscribe to ${topic}: ${reply.error}`, 'error')
    }
    renderSubscriptions()
  })
}

function subscribe (topic) {
  if (subscriptions.has(topic)) {
    showFeedback(ui.subscribeFeedback, `Already subscribed to ${topic}`, 'info')
    return
  }
  subscriptions.set(topic, 'pending')
  showFeedback(ui.subscribeFeedback, '', 'info')
  renderSubscriptions()
  if (socket !== null && socket.readyState === WebSocket.OPEN) sendSubscribe(topic)
}

function unsubscribe (topic) {
  subscriptions.delete(topic)
  renderSubscriptions()
  if (socket !== null && socket.readyState === WebSocket.OPEN) {
    request({ action: 'unsubscribe', topic }, (reply) => {
      if (reply.action === 'error') showFeedback(ui.subscribeFeedback, `Could not unsubscribe from ${topic}: ${reply.error}`, 'error')
    })
  }
}

function renderSubscriptions () {
  const items = [...subscriptions].map(([topic, state]) => {
    const li = el('li', { dataset: { topic, state } })
    li.append(el('span', { className: 'chip-name', textContent: topic }))
    const button = el('button', {
      type: 'button',
      className: 'chip-remove',
      textContent: 'Unsubscribe',
      title: state === 'active' ? `Unsubscribe from ${topic}` : `Subscribing to ${topic}…`
    })
    button.setAttribute('aria-label', `Unsubscribe from ${topic}`)
    button.addEventListener('click', () => unsubscribe(topic))
    li.append(button)
    return li
  })
  ui.subscriptions.replaceChildren(...items)
  ui.noSubscriptions.hidden = items.length > 0
}

ui.subscribeForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const topic = ui.topicInput.value.trim()
  if (!TOPIC.test(topic)) {
    showFeedback(ui.subscribeFeedback, 'A topic is 1 to 128 letters, digits and _ - . :', 'error')
    return
  }
  subscribe(topic)
})

// ---- publishing ------------------------------------------------------------

ui.publishForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const topic = ui.publishTopic.value.trim()
  const text = ui.publishMessage.value
  if (!TOPIC.test(topic)) {
    showFeedback(ui.publishResult, 'A topic is 1 to 128 letters, digits and _ - . :', 'error')
    return
  }
  let message = text
  if (ui.publishJson.checked) {
    try {
      message = JSON.parse(text)
    } catch {
      showFeedback(ui.publishResult, 'The message is not valid JSON (untick "Send as JSON" to send it as text)', 'error')
      return
    }
  }
  ui.publishButton.disabled = true
  request({ action: 'publish', topic, message }, (reply) => {
    ui.publishButton.disabled = false
    if (reply.action === 'published') {
      const n = reply.subscribers
      showFeedback(ui.publishResult, `Published to ${reply.topic}: delivered to ${n} subscriber${n === 1 ? '' : 's'}`, 'ok')
    } else {
      showFeedback(ui.publishResult, `Not published: ${reply.error}`, 'error')
    }
  })
})

// ---- live messages ---------------------------------------------------------

function addMessage (topic, message) {
  const now = new Date()
  const li = el('li')
  li.append(
    el('span', { className: 'topic', textContent: topic }),
    el('time', { className: 'time', dateTime: now.toISOString(), textContent: formatTime(now) }),
    el('pre', { className: 'message', textContent: typeof message === 'string' ? message : JSON.stringify(message) })
  )
  ui.messages.prepend(li)
  while (ui.messages.childElementCount > MAX_MESSAGES) ui.messages.lastElementChild.remove()
  renderMessageCount()
}

function renderMessageCount () {
  const n = ui.messages.childElementCount
  ui.messageCount.textContent = n === MAX_MESSAGES ? `last ${n}` : String(n)
  ui.noMessages.hidden = n > 0
}

ui.clearMessages.addEventListener('click', () => {
  ui.messages.replaceChildren()
  ui.notice.textContent = ''
  renderMessageCount()
})

// ---- topics table ----------------------------------------------------------

async function refreshTopics () {
  try {
    const response = await fetch('/topics', { headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    const { topics } = await response.json()
    renderTopics(topics)
    showFeedback(ui.topicsFeedback, '', 'info')
  } catch (err) {
    showFeedback(ui.topicsFeedback, `Could not load the topics: ${err.message}`, 'error')
  } finally {
    setTimeout(refreshTopics, TOPICS_REFRESH_MS)
  }
}

function renderTopics (topics) {
  if (topics.length === 0) {
    const cell = el('td', { className: 'empty', textContent: 'No topics yet.' })
    cell.colSpan = 5
    ui.topicsBody.replaceChildren(el('tr', {}, [cell]))
    return
  }
  ui.topicsBody.replaceChildren(...topics.map((t) => el('tr', { dataset: { topic: t.topic } }, [
    el('td', { className: 'topic', textContent: t.topic }),
    el('td', { className: 'num', textContent: String(t.subscribers) }),
    el('td', { className: 'num', textContent: String(t.published) }),
    el('td', { className: 'num', textContent: String(t.delivered) }),
    el('td', { textContent: t.lastPublishedAt === null ? '—' : formatTime(new Date(t.lastPublishedAt)) })
  ])))
}

// ---- helpers ---------------------------------------------------------------

/** createElement with properties: text only ever goes in through textContent. */
function el (tag, props = {}, children = []) {
  const node = document.createElement(tag)
  const { dataset, ...rest } = props
  Object.assign(node, rest)
  if (dataset !== undefined) Object.assign(node.dataset, dataset)
  node.append(...children)
  return node
}

function showFeedback (node, text, kind) {
  node.textContent = text
  node.dataset.kind = kind
}

function formatTime (date) {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 })
}

renderSubscriptions()
renderMessageCount()
connect()
refreshTopics()
