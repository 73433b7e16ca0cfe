import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

/** Takes the body's chunks one by one. */
export interface BodyConsumer {
  /** Returns false to stop reading (the connection is dropped). */
  write(chunk: Buffer): boolean
}

export interface ExchangeRequest {
  readonly origin: string
  /** Path and query string. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
}

export interface ExchangeLimits {
  /** The whole exchange, from sending to the body's last byte; past it, a TimeoutError. */
  readonly budgetMs: number
  /** Aborting it ends the exchange with its reason (the client went away). */
  readonly signal?: AbortSignal | undefined
  /**
   * Called once undici is done with the request: its answer ended, failed or was cut. A call
   * that ran out of time while waiting for a connection stays queued in undici until it gets
   * one (and is cut then), so this can come after the exchange has settled; whatever bounds
   * the calls in flight should be freed here, not when the exchange settles.
   */
  readonly onDone?: (() => void) | undefined
}

/** How an exchange ended: its status and headers, and whether the body was read to its end. */
export interface Exchange {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** False when the consumer stopped reading, or `open` gave none. */
  readonly complete: boolean
}

/**
 * One GET through undici's dispatcher, its body handed chunk by chunk to the consumer that
 * `open` picks when the status and headers arrive (none: the body is not read).
 *
 * Why not `undici.request`: it wraps every answer in a Readable stream and every call needs an
 * AbortController for its budget. Here a call is a handler with a timer, about half the CPU per
 * call (docs/decisions.md), and a fan-out over 20 regions makes 20 calls for one operation.
 *
 * Settles once: with the Exchange when the body ends or the consumer stops; rejected with the
 * transport's error, a TimeoutError when the budget runs out, or the signal's reason. Calls
 * `onDone` once, when undici lets go of the request.
 */
export function exchange(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  limits: ExchangeLimits,
  open: (status: number, headers: IncomingHttpHeaders) => BodyConsumer | undefined,
): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const { signal } = limits
    let controller: Dispatcher.DispatchController | undefined
    let stopReason: Error | undefined
    let settled = false
    let done = false
    let response:
      | { status: number; headers: IncomingHttpHeaders; consume: BodyConsumer | undefined }
      | undefined

    const settle = (outcome: Exchange | Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    /** Ends the exchange now; the request is cut as soon as undici hands it a connection. */
    const stop = (reason: Error): void => {
      stopReason ??= reason
      controller?.abort(reason)
      settle(reason)
    }
    const finish = (): void => {
      if (done) return
      done = true
      limits.onDone?.()
    }
    const onAbort = (): void => stop(abortReason(signal))
    const timer = setTimeout(
      () => stop(new DOMException('The upstream call ran out of time', 'TimeoutError')),
      limits.budgetMs,
    )
    if (signal?.aborted) {
      // Nothing was dispatched.
      onAbort()
      finish()
      return
    }
    signal?.addEventListener('abort', onAbort, { once: true })

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started
        if (stopReason) started.abort(stopReason)
      },
      onResponseStart(started, status, headers) {
        // 1xx answers are followed by the real one.
        if (status < 200) return
        const consume = open(status, headers)
        response = { status, headers, consume }
        if (!consume) {
          // Settled first: aborting calls onResponseError at once.
          settle({ status, headers, complete: false })
          started.abort(new BodyNotReadError())
        }
      },
      onResponseData(started, chunk) {
        if (settled || !response?.consume) return
        if (!response.consume.write(chunk)) {
          settle({ status: response.status, headers: response.headers, complete: false })
          started.abort(new BodyNotReadError())
        }
      },
      onResponseEnd() {
        if (response) settle({ status: response.status, headers: response.headers, complete: true })
        else settle(new Error('the upstream ended the exchange without an answer'))
        finish()
      },
      onResponseError(_started, error) {
        settle(stopReason ?? error)
        finish()
      },
    }
    try {
      dispatcher.dispatch(
        { origin: request.origin, path: request.path, method: 'GET', headers: request.headers },
        handler,
      )
    } catch (error) {
      // Nothing was dispatched: undici will not call back, so the request is let go of here.
      settle(error instanceof Error ? error : new Error(String(error)))
      finish()
    }
  })
}

/** What the connection is cut with when the body is left unread; nobody sees it. */
class BodyNotReadError extends Error {
  override readonly name = 'BodyNotReadError'
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError')
}
