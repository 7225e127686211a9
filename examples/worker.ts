/** `npm run worker`: the example booking worker, configured from the environment (PROXYER_URL, PROXYER_API_KEY, PACE, FAILURE_RATE). */
import { BookingWorker } from './booking-worker.js'

const url = process.env.PROXYER_URL ?? 'http://127.0.0.1:3002'
const pace = Number(process.env.PACE ?? '5')
const failureRate = Number(process.env.FAILURE_RATE ?? '0')
if (!(pace > 0) || !(failureRate >= 0 && failureRate <= 1)) {
  console.error('PACE must be a number of bookings per second above 0, FAILURE_RATE a share from 0 to 1')
  process.exit(1)
}

const worker = new BookingWorker({ url, apiKey: process.env.PROXYER_API_KEY, pace, failureRate, log: (line) => console.log(line) })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.stop())
console.log(`booking worker: ${pace}/s from ${url}/queues/bookings, refusing ${failureRate * 100}%`)
await worker.run()
