// The live board's script: subscriptions, publishing and live messages through the proxyer client SDK (/client.js), plus the topics table.
import { isValidTopic, ProxyerClient, TOPIC_RULE as RULE } from '/client.js'
import { el, showFeedback } from './dom.js'
import { MessageList } from './message-list.js'
import { startTopicsTable } from './topics-table.js'

const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/message`
const TOPIC_RULE = `A topic is ${RULE}`
/** How many of a topic's last messages a reset reloads. */
const HISTORY_LIMIT = 50
const STATUS_TEXT = { connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', closed: 'Disconnected' }
const RESET_REASON_TEXT = { epoch_changed: 'epoch changed', not_recovered: 'missed messages were no longer kept' }

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
  clearMessages: $('clear-messages'),
  notice: $('notice')
}

const client = new ProxyerClient(WS_URL)
const messages = new MessageList({ list: $('messages'), count: $('message-count'), empty: $('no-messages') })
/** The topics the person asked for, in order; value: 'pending' until the server confirms (again after each reconnect), then 'active'. */
const subscriptions = new Map()

// ---- connection ------------------------------------------------------------

client.on('state', (state) => {
  ui.status.dataset.state = state
  ui.status.textContent = STATUS_TEXT[state] ?? state
  if (state === 'reconnecting') {
    for (const topic of subscriptions.keys()) subscriptions.set(topic, 'pending')
    renderSubscriptions()
  }
  // the client has just sent every subscription again: each chip turns active on its reply
  if (state === 'connected') for (const topic of subscriptions.keys()) confirm(topic)
})
client.on('message', (delivery) => messages.add(delivery))
client.on('reset', (reset) => reloadHistory(reset))
client.on('error', (err) => showFeedback(ui.notice, `${err.message} (${err.code})`, 'error'))

/**
 * The client could not replay what the page missed on a topic: show the topic's last messages
 * from its history (those up to the reset's offset; the later ones arrive live), each once.
 */
async function reloadHistory ({ topic, offset, epoch, reason }) {
  // the reloaded messages are older than any delivered from now on
  const anchor = messages.top()
  const why = RESET_REASON_TEXT[reason] ?? reason
  showFeedback(ui.notice, `${topic}: reloading history (${why})…`, 'warn')
  try {
    let added = 0
    if (offset > 0) {
      // the history lists the oldest kept messages first: ask for the last ones by position
      const since = Math.max(0, offset - HISTORY_LIMIT)
      const response = await fetch(`/topics/${encodeURIComponent(topic)}/history?since=${since}&limit=${HISTORY_LIMIT}`, { headers: { accept: 'application/json' } })
      if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status}`)
      const history = response.ok ? await response.json() : { epoch, messages: [] }
      // another epoch already: the reset that comes with it reloads that one
      const entries = history.epoch === epoch ? history.messages.filter((entry) => entry.offset <= offset) : []
      if (subscriptions.has(topic)) added = messages.addHistory(topic, epoch, entries, anchor)
    }
    showFeedback(ui.notice, `${topic}: history reloaded (${why}), ${added} message${added === 1 ? '' : 's'} added`, 'warn')
  } catch (err) {
    showFeedback(ui.notice, `${topic}: could not reload the history (${why}): ${err.message}`, 'error')
  }
}

// ---- subscriptions ---------------------------------------------------------

/** Waits for the server to confirm `topic`'s subscription; a refusal (bad topic, too many subscriptions) drops it. */
async function confirm (topic) {
  try {
    await client.subscribe(topic)
    if (subscriptions.has(topic)) subscriptions.set(topic, 'active')
  } catch (err) {
    // left or closed meanwhile: nothing to show
    if (err.code === 'unsubscribed' || err.code === 'closed') return
    subscriptions.delete(topic)
    showFeedback(ui.subscribeFeedback, `Could not subscribe to ${topic}: ${err.message}`, 'error')
  }
  renderSubscriptions()
}

function subscribe (topic) {
  if (subscriptions.has(topic)) {
    showFeedback(ui.subscribeFeedback, `Already subscribed to ${topic}`, 'info')
    return
  }
  subscriptions.set(topic, 'pending')
  showFeedback(ui.subscribeFeedback, '', 'info')
  renderSubscriptions()
  confirm(topic)
}

async function unsubscribe (topic) {
  subscriptions.delete(topic)
  renderSubscriptions()
  try {
    await client.unsubscribe(topic)
  } catch (err) {
    showFeedback(ui.subscribeFeedback, `Could not unsubscribe from ${topic}: ${err.message}`, 'error')
  }
}

function renderSubscriptions () {
  const items = [...subscriptions].map(([topic, state]) => {
    const button = el('button', {
      type: 'button',
      className: 'chip-remove',
      textContent: 'Unsubscribe',
      title: state === 'active' ? `Unsubscribe from ${topic}` : `Subscribing to ${topic}…`
    })
    button.setAttribute('aria-label', `Unsubscribe from ${topic}`)
    button.addEventListener('click', () => unsubscribe(topic))
    return el('li', { dataset: { topic, state } }, [el('span', { className: 'chip-name', textContent: topic }), button])
  })
  ui.subscriptions.replaceChildren(...items)
  ui.noSubscriptions.hidden = items.length > 0
}

ui.subscribeForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const topic = ui.topicInput.value.trim()
  if (isValidTopic(topic)) subscribe(topic)
  else showFeedback(ui.subscribeFeedback, TOPIC_RULE, 'error')
})

// ---- publishing ------------------------------------------------------------

ui.publishForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  const topic = ui.publishTopic.value.trim()
  const text = ui.publishMessage.value
  if (!isValidTopic(topic)) {
    showFeedback(ui.publishResult, TOPIC_RULE, 'error')
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
  // the client sends it once the connection is back
  if (client.state !== 'connected') showFeedback(ui.publishResult, 'Not connected: publishing once the page reconnects…', 'info')
  try {
    const { offset, subscribers: n } = await client.publish(topic, message)
    showFeedback(ui.publishResult, `Published to ${topic} as #${offset}: delivered to ${n} subscriber${n === 1 ? '' : 's'}`, 'ok')
  } catch (err) {
    showFeedback(ui.publishResult, `Not published: ${err.message}`, 'error')
  } finally {
    ui.publishButton.disabled = false
  }
})

// ---- messages and topics ---------------------------------------------------

ui.clearMessages.addEventListener('click', () => {
  messages.clear()
  showFeedback(ui.notice, '', 'info')
})

renderSubscriptions()
startTopicsTable(document.querySelector('#topics-table tbody'), $('topics-feedback'))
