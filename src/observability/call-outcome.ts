import { upstreamErrorCode } from '../errors.js'
import type { UpstreamCallResult } from '../upstream/observer.js'

/** The code of a call that ended because the client went away. */
export const CANCELLED_CODE = 'CANCELLED'

/**
 * The code of a call a circuit stopped before it was sent (the caller's error says
 * UPSTREAM_UNAVAILABLE): no request reached the Region Service, so it has no status and no
 * duration to report.
 */
export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN'

/**
 * How metrics and traces name a call's outcome: the error catalogue's code of its failure, or
 * CANCELLED / CIRCUIT_OPEN for calls that said nothing about the Region Service; undefined for
 * a call that succeeded.
 */
export function callOutcomeCode(result: UpstreamCallResult): string | undefined {
  if (result.failure === undefined) return undefined
  if (result.failure === 'cancelled') return CANCELLED_CODE
  if (result.failure === 'circuit-open') return CIRCUIT_OPEN_CODE
  return upstreamErrorCode(result.failure, result.status)
}
