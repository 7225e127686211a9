// The banner that says, in an operator's words, why live bookings may not be arriving, with a "Reconnect now" button.
import { el } from './dom.js'

/** A banner over the board: paused live updates with a countdown, or bookings that may be missing. */
export class ConnectionBanner {
  #node
  #text
  #button
  #countdown = undefined

  /** `node`: the banner's element (hidden while all is well); `onReconnect`: what "Reconnect now" does. */
  constructor (node, onReconnect) {
    this.#node = node
    this.#text = el('p', { className: 'banner-text' })
    this.#button = el('button', { type: 'button', textContent: 'Reconnect now' })
    this.#button.addEventListener('click', onReconnect)
    node.replaceChildren(this.#text, this.#button)
    node.hidden = true
  }

  /** Disconnected: the next attempt starts in `delayMs`; the count goes down each second. */
  paused (delayMs) {
    this.#stopCountdown()
    const until = Date.now() + delayMs
    const tick = () => {
      const seconds = Math.ceil((until - Date.now()) / 1000)
      this.#text.textContent = seconds > 0 ? `Live updates paused, reconnecting in ${seconds} s` : 'Live updates paused, reconnecting…'
      if (seconds <= 0) this.#stopCountdown()
    }
    tick()
    this.#countdown = setInterval(tick, 1000)
    this.#show('warn', true)
  }

  /** Connected again: the pause is over. */
  resumed () {
    this.#stopCountdown()
    if (this.#node.dataset.kind === 'warn') this.#node.hidden = true
  }

  /** A trouble that persists, e.g. a topic the server keeps refusing; "Reconnect now" asks again at once. */
  failed (text) {
    this.#stopCountdown()
    this.#text.textContent = text
    this.#show('error', true)
  }

  /** Something to know that needs no action, e.g. bookings reloaded after a lost history. */
  inform (text) {
    if (!this.#node.hidden && this.#node.dataset.kind !== 'info') return
    this.#text.textContent = text
    this.#show('info', false)
  }

  /** Hides a failure or a notice once it no longer holds. */
  clear (kind) {
    if (this.#node.dataset.kind === kind) this.#node.hidden = true
  }

  #show (kind, withButton) {
    this.#node.dataset.kind = kind
    this.#button.hidden = !withButton
    this.#node.hidden = false
  }

  #stopCountdown () {
    clearInterval(this.#countdown)
    this.#countdown = undefined
  }
}
