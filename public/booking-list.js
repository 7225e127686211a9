// The board's rows: newest first, at most 200, each booking shown once by topic, epoch and offset, its raw text a click away.
import { el, formatTime } from './dom.js'
import { decodeBooking } from './booking.js'

export const MAX_BOOKINGS = 200

const keyOf = (topic, epoch, offset) => `${topic}\n${epoch}\n${offset}`

export class BookingList {
  /** Keys of the bookings on show, so one reloaded from history is not shown twice. */
  #shown = new Set()

  /** `body`: the table's tbody; `count`: where the number shown goes; `empty`: the line shown while there is none. */
  constructor ({ body, count, empty }) {
    this.body = body
    this.count = count
    this.empty = empty
    this.#render()
  }

  /** Shows a live delivery on top, unless it is already on show; returns its decoded columns, or undefined. */
  add ({ topic, message, offset, epoch }) {
    const row = this.#row({ topic, message, offset, epoch, received: new Date(), source: 'live' })
    if (row === undefined) return undefined
    this.body.prepend(row)
    this.#trim()
    return decodeBooking(message)
  }

  /** The newest row now: where bookings older than every later delivery go, e.g. a topic's reloaded history. */
  top () {
    return this.body.firstElementChild
  }

  /**
   * Shows a topic's history entries ({ offset, message, publishedAt }) not yet on show, newest
   * first, just above `anchor` (from top()) or at the bottom if it has gone. Returns how many were added.
   */
  addHistory (topic, epoch, entries, anchor) {
    const rows = [...entries]
      .sort((a, b) => b.offset - a.offset)
      .map(({ offset, message, publishedAt }) => this.#row({ topic, message, offset, epoch, received: new Date(publishedAt), source: 'history' }))
      .filter((row) => row !== undefined)
    if (anchor !== null && anchor.isConnected) anchor.before(...rows)
    else this.body.append(...rows)
    this.#trim()
    return rows.length
  }

  clear () {
    this.body.replaceChildren()
    this.#shown.clear()
    this.#render()
  }

  #row ({ topic, message, offset, epoch, received, source }) {
    const key = keyOf(topic, epoch, offset)
    if (this.#shown.has(key)) return undefined
    this.#shown.add(key)
    const booking = decodeBooking(message)
    const time = booking.time ?? received
    const raw = el('code', { className: 'raw', textContent: booking.raw, hidden: true })
    const toggle = el('button', { type: 'button', className: 'raw-toggle', textContent: 'Raw' })
    toggle.setAttribute('aria-expanded', 'false')
    toggle.setAttribute('aria-label', `Raw text of ${topic} #${offset}`)
    toggle.addEventListener('click', () => {
      raw.hidden = !raw.hidden
      toggle.setAttribute('aria-expanded', String(!raw.hidden))
    })
    const cell = (className, textContent) => el('td', { className, textContent })
    return el('tr', { dataset: { key, topic, offset: String(offset), source } }, [
      el('td', { className: 'time' }, [el('time', { dateTime: time.toISOString(), textContent: formatTime(time), title: time.toLocaleString() })]),
      cell('visitor', booking.visitor),
      cell('ticket', booking.ticket),
      cell('zone', booking.zone),
      el('td', { className: 'details' }, [
        el('span', { className: 'fields', textContent: booking.details }),
        source === 'history' ? el('span', { className: 'tag', textContent: ' reloaded' }) : '',
        raw
      ]),
      el('td', { className: 'topic' }, [el('span', { textContent: topic }), el('span', { className: 'offset', textContent: ` #${offset}` })]),
      el('td', { className: 'actions' }, [toggle])
    ])
  }

  #trim () {
    while (this.body.childElementCount > MAX_BOOKINGS) {
      this.#shown.delete(this.body.lastElementChild.dataset.key)
      this.body.lastElementChild.remove()
    }
    this.#render()
  }

  #render () {
    const n = this.body.childElementCount
    this.count.textContent = n === MAX_BOOKINGS ? `last ${n}` : String(n)
    this.empty.hidden = n > 0
  }
}
