import type { Server, ServerResponse } from 'node:http'
import { Server as NetServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from './logger.js'
import type { Readiness } from './readiness.js'

export interface GracefulShutdownOptions {
  readonly server: Server
  readonly readiness: Readiness
  /** How long requests may take to finish once the listener is closed (the settle included). */
  readonly graceMs: number
  /** How long /readyz answers 503 while the listener still accepts, so load balancers stop routing here first. */
  readonly delayMs: number
  /**
   * How long idle keep-alive connections stay open once the listener is closed: a client may
   * already be sending its next request on one, and is answered (with `Connection: close`)
   * instead of reset.
   */
  readonly idleSettleMs: number
  readonly log: Logger
  /** Releases what the server used (upstream pool, demo service) once requests are done. */
  readonly cleanup?: () => Promise<void>
  /** Waits out the readiness delay and the settle; tests pass one they control. */
  readonly wait?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export interface ShutdownOutcome {
  /** True when every connection closed by itself within the grace period. */
  readonly drained: boolean
  /** Requests cut off when the grace period ran out. */
  readonly abandoned: number
}

/** Bounds cleanup (closing pools) after requests are done, so shutdown never hangs on it. */
const CLEANUP_BUDGET_MS = 2000

const sleepUnlessAborted = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleep(ms, undefined, signal && { signal }).catch(() => undefined)

/**
 * Graceful shutdown of one HTTP server: turn unready, optionally keep serving for `delayMs`,
 * stop accepting connections, answer what arrives on open connections with `Connection:
 * close`, close idle keep-alive connections after a settle, let requests finish for up to
 * `graceMs`, cut what is left, clean up. Tracks requests itself, so it works with any handler.
 */
export class GracefulShutdown {
  readonly #options: GracefulShutdownOptions
  readonly #inFlight = new Set<ServerResponse>()
  #draining = false
  #result: Promise<ShutdownOutcome> | undefined

  constructor(options: GracefulShutdownOptions) {
    this.#options = options
    // First listener, so the connection header is set before the handler answers.
    options.server.prependListener('request', (_request, response: ServerResponse) => {
      this.#inFlight.add(response)
      if (this.#draining) response.setHeader('connection', 'close')
      response.once('close', () => this.#inFlight.delete(response))
    })
  }

  /** Requests being answered right now. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /** Starts shutting down (once; later calls get the same outcome). */
  shutdown(reason: string, options: { readonly skipDelay?: boolean } = {}): Promise<ShutdownOutcome> {
    this.#result ??= this.#run(reason, options.skipDelay === true)
    return this.#result
  }

  async #run(reason: string, skipDelay: boolean): Promise<ShutdownOutcome> {
    const { server, readiness, log, graceMs, idleSettleMs } = this.#options
    const wait = this.#options.wait ?? sleepUnlessAborted
    readiness.markShuttingDown()
    const delayMs = skipDelay ? 0 : this.#options.delayMs
    log.info({ reason, inFlight: this.inFlight, delayMs, idleSettleMs, graceMs }, 'shutting down')
    if (delayMs > 0) await wait(delayMs)

    this.#drain()
    // http.Server#close() would also close idle connections at once (Node >= 19), resetting
    // clients that are sending on one right now; net.Server#close() only closes the listener.
    // It calls back once the last connection is gone.
    const closed = new Promise<boolean>((resolve) =>
      NetServer.prototype.close.call(server, () => resolve(true)),
    )
    let graceTimer: NodeJS.Timeout | undefined
    const graceOver = new Promise<boolean>((resolve) => {
      graceTimer = setTimeout(() => resolve(false), graceMs)
    })
    const settled = new AbortController()
    await Promise.race([closed, graceOver, wait(idleSettleMs, settled.signal)])
    settled.abort()
    // Whoever meant to reuse an idle connection has done so by now; the rest are let go.
    server.closeIdleConnections()
    const drained = await Promise.race([closed, graceOver])
    clearTimeout(graceTimer)
    const abandoned = this.inFlight
    if (!drained) {
      log.warn({ abandoned }, 'grace period over: closing connections with requests still in flight')
      server.closeAllConnections()
    }
    await closed
    if (this.#options.cleanup) {
      await Promise.race([
        this.#options.cleanup().catch((error: unknown) => log.error({ err: error }, 'cleanup failed')),
        sleep(CLEANUP_BUDGET_MS, undefined, { ref: false }),
      ])
    }
    return { drained, abandoned }
  }

  /** From now on every answer closes its connection, answers already being written included. */
  #drain(): void {
    this.#draining = true
    for (const response of this.#inFlight) {
      if (!response.headersSent) response.setHeader('connection', 'close')
    }
    // An answer whose head went out before draining keeps its connection open; Node reads this
    // when the answer ends, so such a connection is closed after a settle's idleness too.
    this.#options.server.keepAliveTimeout = Math.max(1, this.#options.idleSettleMs)
  }
}

/**
 * SIGTERM (orchestrators) shuts down with the readiness delay; SIGINT (a person at a
 * terminal) skips it. Either way the process exits 0 once shut down. A second signal exits
 * at once with 1.
 */
export function exitOnSignals(
  shutdown: Pick<GracefulShutdown, 'shutdown'>,
  log: Logger,
  target: Pick<NodeJS.Process, 'on' | 'exit'> = process,
): void {
  let signalled = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting without waiting')
      target.exit(1)
      return
    }
    signalled = true
    shutdown.shutdown(signal, { skipDelay: signal === 'SIGINT' }).then(
      (outcome) => {
        log.info(outcome, 'stopped')
        target.exit(0)
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed')
        target.exit(1)
      },
    )
  }
  target.on('SIGTERM', onSignal)
  target.on('SIGINT', onSignal)
}
