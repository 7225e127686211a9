/** Holds a subscriber's live publications while its history is replayed, then passes on the ones it lacks. */
import type { Subscriber } from './broker.js'
import type { Publication } from './publication.js'

export class PublicationBuffer implements Subscriber {
  private readonly held: Publication[] = []

  deliver (publication: Publication): boolean {
    this.held.push(publication)
    return true
  }

  /** Hands over the held publications with an offset past `offset`, in order. */
  flushAfter (offset: number, subscriber: Subscriber): void {
    for (const publication of this.held) {
      if (publication.offset > offset) subscriber.deliver(publication)
    }
  }
}
