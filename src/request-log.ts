/** Fastify's request log lines as one readable line per request: polls at debug, refusals without a stack trace, `?token=` masked. */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import { urlWithoutToken } from './log-serializers.js'

/** Routes that load balancers and the page poll every few seconds: at info they would drown everything else. */
const POLLED_ROUTES = new Set(['/health', '/ready', '/topics'])

export class RequestLog extends LogController {
  /** Why each refused request (4xx) was refused, for its one line when the reply is sent. */
  private readonly refusals = new WeakMap<FastifyRequest, string>()

  override incomingRequest (request: FastifyRequest): void {
    // a request is logged once, when answered; a WebSocket upgrade is never "answered" as HTTP
    if (request.headers.upgrade?.toLowerCase() === 'websocket') request.log.info(`${request.method} ${urlWithoutToken(request.url)}: WebSocket connection`)
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // the response stream failed: a fault worth its stack trace, as Fastify logs it
    /* c8 ignore next: Fastify passes an error only when writing a reply stream fails mid-way, which no route of ours streams */
    if (error != null) return super.requestCompleted(error, request, reply)
    const refusal = this.refusals.get(request)
    const line = `${request.method} ${urlWithoutToken(request.url)} ${reply.statusCode} in ${reply.elapsedTime.toFixed(1)} ms${refusal === undefined ? '' : `: ${refusal}`}`
    const polled = (request.method === 'GET' || request.method === 'HEAD') && POLLED_ROUTES.has(request.routeOptions.url ?? '')
    reply.log[polled ? 'debug' : 'info']({ req: request, res: reply, responseTime: reply.elapsedTime }, line)
  }

  override defaultErrorLog (error: Error, request: FastifyRequest, reply: FastifyReply): void {
    // a 5xx is the server's fault and keeps its stack trace; a 4xx is the client's, said in the request's line
    if (reply.statusCode >= 500) return super.defaultErrorLog(error, request, reply)
    this.refusals.set(request, error.message)
  }

  override routeNotFound (): void {
    // the request's own line says 404
  }
}
