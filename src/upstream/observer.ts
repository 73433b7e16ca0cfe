import type { Logger } from '../logger.js'
import type { UpstreamErrorKind } from './upstream-error.js'

/** One finished upstream call (one HTTP attempt), as the per-request log line counts it. */
export interface UpstreamCallRecord {
  readonly operation: 'listImages' | 'listRegions'
  readonly regionId?: string | undefined
  readonly status: number | undefined
  readonly durationMs: number
  /** How it failed; absent for a call that succeeded. */
  readonly failure?: UpstreamErrorKind | undefined
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt?: number | undefined
  /** The answer was byte-identical to one parsed before, and that parse was used. */
  readonly reused?: boolean | undefined
}

/** What an observer learns when an upstream call starts. Never carries the caller's token. */
export interface UpstreamCallStart {
  readonly operation: UpstreamCallRecord['operation']
  readonly regionId: string | undefined
  readonly method: 'GET'
  /** The path with its ids as placeholders, e.g. `/api/v2/regions/{regionID}/images`. */
  readonly pathTemplate: string
  readonly requestId: string
}

/**
 * How one upstream call ended, as observers see it. A call a circuit stopped (`failure:
 * "circuit-open"`) reached no Region Service: it has no status and took none of its time.
 */
export interface UpstreamCallResult extends UpstreamCallRecord {
  /** The Region Service's own trace id from its error body, when it gave one. */
  readonly upstreamTraceId?: string | undefined
}

/** Circuit breaker states of a region, as observers (metrics labels) name them. */
export type CircuitState = 'closed' | 'half_open' | 'open'

/** Follows one upstream call from start to end; made by an observer for that call. */
export interface UpstreamCallScope {
  /**
   * Headers to add to the call: W3C trace context. Only `traceparent` and `tracestate` (in any
   * letter case) are sent; any other is dropped.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The call is sent again (attempt counts from 2); called by the retry path. */
  retrying?(attempt: number, reason: string): void
  finished(result: UpstreamCallResult): void
}

/**
 * The instrumentation hook of the upstream client: metrics and tracing plug in here instead of
 * into the client's internals. Called in the caller's async context, so tracing can parent
 * spans on the active one.
 */
export interface UpstreamObserver {
  callStarted(call: UpstreamCallStart): UpstreamCallScope
  /** A region's circuit breaker changed state. */
  circuitStateChanged?(regionId: string, state: CircuitState): void
}

/** The only headers an observer may add: W3C trace context. */
const OBSERVER_HEADERS = new Set(['traceparent', 'tracestate'])

/**
 * Observer-supplied headers, only those of `OBSERVER_HEADERS`: nothing an observer adds can
 * change who calls, what is asked or what the upstream is told about the caller.
 */
export function observerHeaders(
  headers: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  if (!headers) return {}
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => OBSERVER_HEADERS.has(name.toLowerCase())),
  )
}

/** Runs an observer callback; if it throws, logs it and carries on without it. */
export function watchSafely<T>(log: Logger, callback: () => T): T | undefined {
  try {
    return callback()
  } catch (error) {
    log.error({ err: error }, 'upstream observer failed; the call goes on without it')
    return undefined
  }
}
