/** How many connections were closed because serving them raised an error: each such error stays with its connection. */
export class ConnectionFaults {
  count = 0
}
