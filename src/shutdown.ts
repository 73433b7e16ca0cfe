import type { Server, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from './logger.js'
import type { Readiness } from './readiness.js'

export interface GracefulShutdownOptions {
  readonly server: Server
  readonly readiness: Readiness
  /** How long in-flight requests may take to finish once the listener is closed. */
  readonly graceMs: number
  /** How long /readyz answers 503 while the listener still accepts, so load balancers stop routing here first. */
  readonly delayMs: number
  readonly log: Logger
  /** Releases what the server used (upstream pool, demo service) once requests are done. */
  readonly cleanup?: () => Promise<void>
}

export interface ShutdownOutcome {
  /** True when every in-flight request finished within the grace period. */
  readonly drained: boolean
  /** Requests cut off when the grace period ran out. */
  readonly abandoned: number
}

/** Bounds cleanup (closing pools) after requests are done, so shutdown never hangs on it. */
const CLEANUP_BUDGET_MS = 2000

/**
 * Graceful shutdown of one HTTP server: turn unready, optionally keep serving for `delayMs`,
 * stop accepting connections, let in-flight requests finish for up to `graceMs`, cut what is
 * left, clean up. Tracks requests itself, so it works with any request handler.
 */
export class GracefulShutdown {
  readonly #options: GracefulShutdownOptions
  readonly #inFlight = new Set<ServerResponse>()
  #draining = false
  #onIdle: (() => void) | undefined
  #result: Promise<ShutdownOutcome> | undefined

  constructor(options: GracefulShutdownOptions) {
    this.#options = options
    // First listener, so the connection header is set before the handler answers.
    options.server.prependListener('request', (_request, response: ServerResponse) => {
      this.#inFlight.add(response)
      // Keep-alive connections are closed after their current request once draining.
      if (this.#draining) response.setHeader('connection', 'close')
      response.once('close', () => {
        this.#inFlight.delete(response)
        if (this.#inFlight.size === 0) this.#onIdle?.()
      })
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
    const { server, readiness, log } = this.#options
    readiness.markShuttingDown()
    const delayMs = skipDelay ? 0 : this.#options.delayMs
    log.info({ reason, inFlight: this.inFlight, delayMs, graceMs: this.#options.graceMs }, 'shutting down')
    if (delayMs > 0) await sleep(delayMs)

    this.#draining = true
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    const drained = await this.#waitForIdle(this.#options.graceMs)
    const abandoned = this.inFlight
    if (!drained) {
      log.warn({ abandoned }, 'grace period over: closing connections with requests still in flight')
    }
    // Every request is answered (or abandoned): what is left are keep-alive sockets whose last
    // request started before draining, which would otherwise hold close() for their idle timeout.
    server.closeAllConnections()
    await closed
    if (this.#options.cleanup) {
      await Promise.race([
        this.#options.cleanup().catch((error: unknown) => log.error({ err: error }, 'cleanup failed')),
        sleep(CLEANUP_BUDGET_MS, undefined, { ref: false }),
      ])
    }
    return { drained, abandoned }
  }

  #waitForIdle(graceMs: number): Promise<boolean> {
    if (this.#inFlight.size === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onIdle = undefined
        resolve(false)
      }, graceMs)
      this.#onIdle = () => {
        clearTimeout(timer)
        this.#onIdle = undefined
        resolve(true)
      }
    })
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
