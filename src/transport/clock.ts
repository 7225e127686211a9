/** Time as a connection sees it, injected so that tests of token expiry and rate limits need not wait real seconds. */

export interface Clock {
  now (): number
  /** Calls `fn` once `ms` have passed; returns the function that cancels it. */
  after (ms: number, fn: () => void): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after (ms, fn) {
    const timer = setTimeout(fn, ms)
    // a connection's timer must not hold the process open at shutdown
    timer.unref()
    return () => clearTimeout(timer)
  }
}
