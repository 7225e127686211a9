// The "Book a ticket" form: queues the booking on `bookings` through the SDK, shows the place in line counting down, then the ticket or the failure.
import { showFeedback } from './dom.js'

const QUEUE = 'bookings'

/** Wires the form to `client`; the confirmed booking reaches the board through the worker's publish to `booked`. */
export function startBooking (client, { form, visitor, zone, button, progress }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    button.disabled = true
    showFeedback(progress, 'Joining the line…', 'info')
    try {
      const job = await client.enqueue(QUEUE, { visitor: visitor.value, zone: zone.value })
      const showPlace = (position) => showFeedback(progress, position === 0
        ? 'Your booking is being confirmed…'
        : `Place in line: ${position}`, 'info')
      showPlace(job.position)
      job.onPosition(showPlace)
      const result = await job.result
      showFeedback(progress, `Booking confirmed: ticket ${result?.ticket ?? '?'} in zone ${result?.zone ?? zone.value}`, 'ok')
    } catch (err) {
      const why = err.code === 'queue_full' ? 'the line is full, try again in a moment' : err.message
      showFeedback(progress, `Booking failed: ${why}`, 'error')
    } finally {
      button.disabled = false
    }
  })
}
