/** Coalesces every frame written to a socket during one event-loop turn into one write. */
import type { Socket } from 'node:net'

export class WriteBatcher {
  private corked: Socket[] = []
  private scheduled = false

  /** Corks the socket until the end of this turn; a corked socket queues writes without a syscall. */
  hold (socket: Socket): void {
    if (socket.writableCorked > 0) return
    socket.cork()
    this.corked.push(socket)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  private readonly flush = (): void => {
    const sockets = this.corked
    this.corked = []
    this.scheduled = false
    for (const socket of sockets) socket.uncork()
  }
}
