// The live messages list: newest first, at most 200, each message shown once by topic, epoch and offset.
import { el, formatTime } from './dom.js'

export const MAX_MESSAGES = 200

const keyOf = (topic, epoch, offset) => `${topic}\n${epoch}\n${offset}`

export class MessageList {
  /** Keys of the messages on show, so one reloaded from history is not shown twice. */
  #shown = new Set()

  constructor ({ list, count, empty }) {
    this.list = list
    this.count = count
    this.empty = empty
    this.#render()
  }

  /** Shows a live delivery on top, unless it is already on show. */
  add ({ topic, message, offset, epoch }) {
    const item = this.#item({ topic, message, offset, epoch, time: new Date(), source: 'live' })
    if (item === undefined) return
    this.list.prepend(item)
    this.#trim()
  }

  /** The newest item now: where messages older than every later delivery go, e.g. a topic's reloaded history. */
  top () {
    return this.list.firstElementChild
  }

  /**
   * Shows a topic's history entries ({ offset, message, publishedAt }) not yet on show, newest
   * first, just above `anchor` (from top()) or at the bottom if it has gone. Returns how many were added.
   */
  addHistory (topic, epoch, entries, anchor) {
    const items = [...entries]
      .sort((a, b) => b.offset - a.offset)
      .map(({ offset, message, publishedAt }) => this.#item({ topic, message, offset, epoch, time: new Date(publishedAt), source: 'history' }))
      .filter((item) => item !== undefined)
    if (anchor !== null && anchor.isConnected) anchor.before(...items)
    else this.list.append(...items)
    this.#trim()
    return items.length
  }

  clear () {
    this.list.replaceChildren()
    this.#shown.clear()
    this.#render()
  }

  #item ({ topic, message, offset, epoch, time, source }) {
    const key = keyOf(topic, epoch, offset)
    if (this.#shown.has(key)) return undefined
    this.#shown.add(key)
    const parts = [
      el('span', { className: 'topic', textContent: topic }),
      el('span', { className: 'offset', textContent: `#${offset}`, title: `offset ${offset} in epoch ${epoch}` })
    ]
    if (source === 'history') parts.push(el('span', { className: 'source', textContent: 'from history' }))
    parts.push(
      el('time', { className: 'time', dateTime: time.toISOString(), textContent: formatTime(time) }),
      el('pre', { className: 'message', textContent: typeof message === 'string' ? message : JSON.stringify(message) })
    )
    return el('li', { dataset: { key, topic, offset: String(offset), source } }, parts)
  }

  #trim () {
    while (this.list.childElementCount > MAX_MESSAGES) {
      this.#shown.delete(this.list.lastElementChild.dataset.key)
      this.list.lastElementChild.remove()
    }
    this.#render()
  }

  #render () {
    const n = this.list.childElementCount
    this.count.textContent = n === MAX_MESSAGES ? `last ${n}` : String(n)
    this.empty.hidden = n > 0
  }
}
