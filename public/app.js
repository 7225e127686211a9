// The bookings board's script: the URL's topics subscribed on load through the proxyer SDK (/client.js), their last bookings from history, live ones on top, connection trouble in words.
import { isValidTopic, ProxyerClient, TOPIC_RULE as RULE } from '/client.js'
import { el, showFeedback } from './dom.js'
import { BookingList } from './booking-list.js'
import { Announcer } from './announcer.js'
import { ConnectionBanner } from './connection-banner.js'
import { startTopicsTable } from './topics-table.js'
import { startBooking } from './book-ticket.js'

const WS_URL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/message`
const TOPIC_RULE = `A topic is ${RULE}`
const DEFAULT_TOPICS = ['booked']
/** How many of a topic's last bookings are drawn from its history, on load and after a reset. */
const HISTORY_LIMIT = 50
const STATUS_TEXT = { connecting: 'Connecting…', connected: 'Live', reconnecting: 'Paused', closed: 'Stopped' }
const CHIP_TITLE = { pending: 'waiting for the server', active: 'live', failed: 'not arriving: still trying' }

const $ = (id) => document.getElementById(id)
const ui = {
  status: $('status'),
  subscriptions: $('subscriptions'),
  subscribeForm: $('subscribe-form'),
  topicInput: $('topic-input'),
  subscribeFeedback: $('subscribe-feedback'),
  publishForm: $('publish-form'),
  publishTopic: $('publish-topic'),
  publishMessage: $('publish-message'),
  publishJson: $('publish-json'),
  publishButton: $('publish-button'),
  publishResult: $('publish-result')
}

const client = new ProxyerClient(WS_URL)
startBooking(client, { form: $('book-form'), visitor: $('book-visitor'), zone: $('book-zone'), button: $('book-button'), progress: $('book-progress') })
const bookings = new BookingList({ body: document.querySelector('#bookings tbody'), count: $('booking-count'), empty: $('no-bookings') })
const announcer = new Announcer($('announcer'))
const banner = new ConnectionBanner($('banner'), () => client.reconnectNow())
/** The topics on show, in the URL's order; value: the subscription's state (pending, active, failed). */
const topics = new Map()

// ---- connection ------------------------------------------------------------

client.on('state', (state) => {
  ui.status.dataset.state = state
  ui.status.textContent = STATUS_TEXT[state] ?? state
  if (state === 'connected') banner.resumed()
})
client.on('retry', ({ delayMs }) => banner.paused(delayMs))
client.on('subscription', ({ topic, state, error }) => {
  if (!topics.has(topic)) return
  topics.set(topic, state)
  renderTopics()
  if (state === 'failed') {
    const why = error.code === 'unavailable' ? 'the server cannot reach its message store' : error.message
    banner.failed(`Bookings for “${topic}” are not arriving: ${why}. Still trying.`)
  }
  if (state === 'active' && ![...topics.values()].includes('failed')) banner.clear('error')
})
client.on('message', (delivery) => {
  const booking = bookings.add(delivery)
  if (booking !== undefined) announcer.booking(describe(delivery.topic, booking))
})
client.on('reset', (reset) => reloadHistory(reset))
client.on('error', (err) => {
  // a refused topic is told by its subscription's state
  if (err.code === 'unreachable') banner.failed('The server cannot be reached. Live updates are paused; still trying.')
  else if (err.topic === undefined) showFeedback(ui.subscribeFeedback, `${err.message} (${err.code})`, 'error')
})

function describe (topic, { visitor, zone, details }) {
  const parts = [visitor && `visitor ${visitor}`, zone && `zone ${zone}`].filter(Boolean)
  return `${topic}, ${parts.length > 0 ? parts.join(', ') : details}`
}

// ---- history ---------------------------------------------------------------

/** Draws `topic`'s last bookings up to `offset` of `epoch` from its history; returns how many were added. */
async function drawHistory (topic, offset, epoch) {
  // the reloaded bookings are older than any delivered from now on
  const anchor = bookings.top()
  if (offset <= 0) return 0
  // the history lists the oldest kept messages first: ask for the last ones by position
  const since = Math.max(0, offset - HISTORY_LIMIT)
  const response = await fetch(`/topics/${encodeURIComponent(topic)}/history?since=${since}&limit=${HISTORY_LIMIT}`, { headers: { accept: 'application/json' } })
  if (response.status === 404) return 0
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  const history = await response.json()
  // another epoch already: the reset that comes with it reloads that one
  if (history.epoch !== epoch || !topics.has(topic)) return 0
  return bookings.addHistory(topic, epoch, history.messages.filter((entry) => entry.offset <= offset), anchor)
}

/** The SDK could not replay what the board missed on a topic: draw its last bookings again and say so. */
async function reloadHistory ({ topic, offset, epoch }) {
  try {
    const added = await drawHistory(topic, offset, epoch)
    banner.inform(`Some bookings may be missing: the last ${added} of “${topic}” were reloaded.`)
  } catch (err) {
    banner.inform(`Some bookings of “${topic}” may be missing, and reloading them failed: ${err.message}`)
  }
}

// ---- topics ----------------------------------------------------------------

/** The topics in the URL (?topics=booked,paid), valid ones only, or booked. */
function topicsFromUrl () {
  const asked = new URLSearchParams(location.search).get('topics')
  if (asked === null) return DEFAULT_TOPICS
  const list = [...new Set(asked.split(',').map((topic) => topic.trim()).filter(Boolean))]
  const bad = list.filter((topic) => !isValidTopic(topic))
  if (bad.length > 0) showFeedback(ui.subscribeFeedback, `Left out of the URL's topics: ${bad.join(', ')}. ${TOPIC_RULE}`, 'error')
  return list.filter((topic) => isValidTopic(topic))
}

/** Keeps the URL naming the topics on show, so the view can be bookmarked and shared. */
function saveTopicsToUrl () {
  const url = new URL(location.href)
  url.searchParams.set('topics', [...topics.keys()].join(','))
  history.replaceState(null, '', url)
}

/** Shows `topic`: subscribes, then draws its last bookings up to where the subscription started. */
async function show (topic) {
  topics.set(topic, 'pending')
  renderTopics()
  try {
    const { offset, epoch } = await client.subscribe(topic)
    await drawHistory(topic, offset, epoch)
  } catch (err) {
    // left or closed meanwhile: nothing to show
    if (err.code === 'unsubscribed' || err.code === 'closed') return
    if (err.code === undefined) {
      showFeedback(ui.subscribeFeedback, `Could not load the last bookings of ${topic}: ${err.message}`, 'error')
      return
    }
    topics.delete(topic)
    renderTopics()
    saveTopicsToUrl()
    showFeedback(ui.subscribeFeedback, `Could not show ${topic}: ${err.message}`, 'error')
  }
}

async function hide (topic) {
  topics.delete(topic)
  renderTopics()
  saveTopicsToUrl()
  try {
    await client.unsubscribe(topic)
  } catch (err) {
    showFeedback(ui.subscribeFeedback, `Could not stop ${topic}: ${err.message}`, 'error')
  }
}

function renderTopics () {
  ui.subscriptions.replaceChildren(...[...topics].map(([topic, state]) => {
    const button = el('button', { type: 'button', className: 'chip-remove', textContent: '×' })
    button.setAttribute('aria-label', `Stop showing ${topic}`)
    button.addEventListener('click', () => hide(topic))
    const name = el('span', { className: 'chip-name', textContent: topic, title: `${topic}: ${CHIP_TITLE[state]}` })
    return el('li', { dataset: { topic, state } }, [name, el('span', { className: 'sr-only', textContent: ` (${CHIP_TITLE[state]})` }), button])
  }))
}

ui.subscribeForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const topic = ui.topicInput.value.trim()
  if (!isValidTopic(topic)) {
    showFeedback(ui.subscribeFeedback, TOPIC_RULE, 'error')
    return
  }
  if (topics.has(topic)) {
    showFeedback(ui.subscribeFeedback, `${topic} is already shown`, 'info')
    return
  }
  showFeedback(ui.subscribeFeedback, '', 'info')
  show(topic)
  saveTopicsToUrl()
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

$('clear-bookings').addEventListener('click', () => {
  bookings.clear()
  banner.clear('info')
})

for (const topic of topicsFromUrl()) show(topic)
startTopicsTable(document.querySelector('#topics-table tbody'), $('topics-feedback'))
