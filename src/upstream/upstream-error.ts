/**
 * How an upstream call failed, in the Region Service client's own words:
 * - status: the service answered with a status other than 2xx (`status` says which);
 * - timeout: no whole answer within the per-call timeout;
 * - deadline: the operation's deadline ran out first (queued, or cut short);
 * - unreachable: no connection, or it broke before an answer;
 * - invalid-answer: a 2xx answer too large, not JSON, or off the OpenAPI contract;
 * - overloaded: the gateway had no room for the answer (its budget, its file descriptors);
 * - cancelled: the client went away first;
 * - circuit-open: a circuit stopped the call before it was sent;
 * - bad-argument: an id that is not a UUID, refused before any call.
 */
export type UpstreamErrorKind =
  | 'status'
  | 'timeout'
  | 'deadline'
  | 'unreachable'
  | 'invalid-answer'
  | 'overloaded'
  | 'cancelled'
  | 'circuit-open'
  | 'bad-argument'

export interface UpstreamErrorDetails {
  /** HTTP status the Region Service answered with. */
  readonly status?: number | undefined
  /** The `error` code of the Region Service's error body (one of its contract's enum). */
  readonly upstreamCode?: string | undefined
  /** The Region Service's trace id, for its operators (scrubbed of the caller's credential). */
  readonly traceId?: string | undefined
  readonly regionId?: string | undefined
}

/**
 * What the Region Service client rejects with. Its message is written by the client, never
 * taken from the upstream, and carries no credential or URL: it may be shown to callers.
 */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind
  readonly status: number | undefined
  readonly upstreamCode: string | undefined
  readonly traceId: string | undefined
  readonly regionId: string | undefined

  constructor(kind: UpstreamErrorKind, message: string, details: UpstreamErrorDetails = {}) {
    super(message)
    this.name = 'UpstreamError'
    this.kind = kind
    this.status = details.status
    this.upstreamCode = details.upstreamCode
    this.traceId = details.traceId
    this.regionId = details.regionId
  }
}

/** What a call is about, as messages name it: "region <id>" or an organization's region list. */
export interface CallSubject {
  readonly subject: string
  readonly regionId?: string | undefined
}

const STATUS_MESSAGES: Partial<Record<number, string>> = {
  401: 'The Region Service rejected the bearer token',
  403: 'The Region Service denied access',
  404: 'The Region Service does not know or does not show',
}

/** A non-2xx answer: the status, and the upstream's error code and trace id when it sent them. */
export function statusError(
  target: CallSubject,
  status: number,
  body: { readonly upstreamCode?: string | undefined; readonly traceId?: string | undefined } = {},
): UpstreamError {
  const detail = body.upstreamCode ? `HTTP ${status}, ${body.upstreamCode}` : `HTTP ${status}`
  return new UpstreamError(
    'status',
    `${STATUS_MESSAGES[status] ?? 'The Region Service failed'} for ${target.subject} (${detail})`,
    { status, upstreamCode: body.upstreamCode, traceId: body.traceId, regionId: target.regionId },
  )
}

export function invalidAnswer(target: CallSubject, why: string): UpstreamError {
  return new UpstreamError(
    'invalid-answer',
    `The Region Service's answer for ${target.subject} is invalid: ${why}`,
    { status: 200, regionId: target.regionId },
  )
}

export function timedOut(target: CallSubject, timeoutMs: number): UpstreamError {
  return new UpstreamError(
    'timeout',
    `The Region Service did not answer for ${target.subject} within ${timeoutMs} ms`,
    { regionId: target.regionId },
  )
}

export function deadlineExceeded(target: CallSubject, deadlineMs: number): UpstreamError {
  return new UpstreamError(
    'deadline',
    `The operation's deadline of ${deadlineMs} ms ran out before the Region Service answered for ${target.subject}`,
    { regionId: target.regionId },
  )
}

export function unreachable(target: CallSubject): UpstreamError {
  return new UpstreamError('unreachable', `The Region Service could not be reached for ${target.subject}`, {
    regionId: target.regionId,
  })
}

export function overloaded(target: CallSubject, why: string): UpstreamError {
  return new UpstreamError(
    'overloaded',
    `The gateway could not take the Region Service's answer for ${target.subject}: ${why}. Retry shortly.`,
    { regionId: target.regionId },
  )
}

/** Nobody sees this error: the client it was for has gone. It is what the call's promise rejects with. */
export function cancelled(target: CallSubject): UpstreamError {
  return new UpstreamError(
    'cancelled',
    `The request was cancelled by the client before the Region Service answered for ${target.subject}`,
    { regionId: target.regionId },
  )
}

export function circuitOpen(
  target: CallSubject,
  retryInMs: number,
  scope: 'region' | 'caller',
): UpstreamError {
  const pause = `${Math.max(1, Math.ceil(retryInMs / 1000))} s`
  return new UpstreamError(
    'circuit-open',
    scope === 'caller'
      ? `The Region Service keeps failing your calls for ${target.subject}; the gateway stops sending them for ${pause}`
      : `The Region Service keeps failing for ${target.subject}; the gateway stops asking it for ${pause}`,
    { regionId: target.regionId },
  )
}
