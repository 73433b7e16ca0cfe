/** Statuses that say "try again shortly" rather than "this request is wrong". */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504])

export interface RetryPolicy {
  /** Extra attempts after the first. */
  readonly retries: number
  /** Upper bound of the first backoff; doubles per attempt. */
  readonly baseDelayMs: number
  /** Longest wait before a retry, Retry-After included. */
  readonly maxDelayMs: number
}

/**
 * How long to wait before attempt `failedAttempt + 1`, or undefined when the call must not be
 * retried. Backoff is "full jitter" (uniform in [0, min(max, base * 2^n)]) so callers that
 * failed together do not come back together; a Retry-After from the upstream is a floor, and
 * one longer than `maxDelayMs` means the upstream asked for more patience than a GraphQL
 * request has, so the failure is returned instead.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  failedAttempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (failedAttempt > policy.retries) return undefined
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxDelayMs) return undefined
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1))
  const jittered = Math.floor(random() * ceiling)
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0))
}

/** Parses a Retry-After header (delay in seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // HTTP dates are always in GMT ("Wed, 21 Oct 2015 07:28:00 GMT"); anything else is not one.
  if (!/ GMT$/.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}
