// Tells screen readers about new bookings politely, at most once every few seconds, as one summary.

const QUIET_MS = 5000

export class Announcer {
  #region
  #pending = 0
  #latest = ''
  #timer = undefined
  #last = 0

  /** `region`: an element with aria-live="polite", visually hidden. */
  constructor (region) {
    this.#region = region
  }

  /** Counts a new booking; `summary` describes it, e.g. "visitor 2199, zone en00030". */
  booking (summary) {
    this.#pending++
    this.#latest = summary
    if (this.#timer !== undefined) return
    const wait = Math.max(0, this.#last + QUIET_MS - Date.now())
    this.#timer = setTimeout(() => this.#speak(), wait)
  }

  #speak () {
    this.#timer = undefined
    this.#last = Date.now()
    const n = this.#pending
    this.#region.textContent = n === 1 ? `New booking: ${this.#latest}` : `${n} new bookings, the latest: ${this.#latest}`
    this.#pending = 0
  }
}
