// The topics table: GET /topics every 2 s, one row per topic.
import { el, formatTime, showFeedback } from './dom.js'

const REFRESH_MS = 2000

/** Fills `body` (the table's tbody) now and every 2 s after; errors go to `feedback`. */
export function startTopicsTable (body, feedback) {
  async function refresh () {
    try {
      const response = await fetch('/topics', { headers: { accept: 'application/json' } })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const { topics } = await response.json()
      render(body, topics)
      showFeedback(feedback, '', 'info')
    } catch (err) {
      showFeedback(feedback, `Could not load the topics: ${err.message}`, 'error')
    } finally {
      setTimeout(refresh, REFRESH_MS)
    }
  }
  refresh()
}

function render (body, topics) {
  if (topics.length === 0) {
    const cell = el('td', { className: 'empty', textContent: 'No topics yet.' })
    cell.colSpan = 6
    body.replaceChildren(el('tr', {}, [cell]))
    return
  }
  body.replaceChildren(...topics.map((t) => el('tr', { dataset: { topic: t.topic } }, [
    el('td', { className: 'topic', textContent: t.topic }),
    el('td', { className: 'num', textContent: String(t.subscribers) }),
    el('td', { className: 'num', textContent: String(t.published) }),
    el('td', { className: 'num', textContent: String(t.delivered) }),
    el('td', { className: 'num', textContent: String(t.slowConsumers) }),
    el('td', { textContent: t.lastPublishedAt === null ? '—' : formatTime(new Date(t.lastPublishedAt)) })
  ])))
}
