// What a booking says: the original `epoch-ms:visitor:ticket:zone` text or a JSON object, as the board's columns.

const COLON_BOOKING = /^(\d{10,16}):([^:\s]+):([^:\s]+):([^:\s]+)$/
const FIELDS = ['time', 'visitor', 'ticket', 'zone']

/**
 * The columns of one message: { time (a Date or undefined), visitor, ticket, zone, details } as text,
 * and `raw`, the message as it came. A message of another shape keeps its text in `details`.
 */
export function decodeBooking (message) {
  const raw = typeof message === 'string' ? message : JSON.stringify(message)
  const empty = { time: undefined, visitor: '', ticket: '', zone: '', details: '', raw }
  if (typeof message === 'string') {
    const match = COLON_BOOKING.exec(message)
    if (match === null) return { ...empty, details: message }
    const [, ms, visitor, ticket, zone] = match
    return { ...empty, time: validDate(Number(ms)), visitor, ticket, zone }
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return { ...empty, details: raw }
  const rest = Object.entries(message).filter(([key]) => !FIELDS.includes(key))
  return {
    ...empty,
    time: message.time === undefined ? undefined : validDate(message.time),
    visitor: text(message.visitor),
    ticket: text(message.ticket),
    zone: text(message.zone),
    details: rest.map(([key, value]) => `${key}: ${text(value)}`).join(', ')
  }
}

function validDate (value) {
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date
}

function text (value) {
  if (value === undefined || value === null) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
