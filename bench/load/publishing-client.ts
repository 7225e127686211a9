/** What a publisher needs of a connection: WebSocket (RawClient) or Nchan's pipelined HTTP (RawHttpClient). */
export interface PublishingClient {
  /** Publishes answered with success, and with an error. */
  readonly replies: number
  readonly errors: number
  /** Called at each answer: publishers waiting on answers refill from it. */
  onAnswer: (() => void) | undefined
  takeId (): number
  /** One publish: the dialect's `publish` output. */
  sendText (text: string): void
  /** Many publishes with one write. */
  sendTexts (texts: string[]): boolean
  destroy (): void
}
