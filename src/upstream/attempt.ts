import { performance } from 'node:perf_hooks'
import type { ValidateFunction } from 'ajv'
import type { Dispatcher } from 'undici'
import type { AnswerMemo } from './answer-memo.js'
import type { CallerIdentity } from './api.js'
import { bodyText } from './body-text.js'
import { type BodyBytes, BoundedBody } from './bounded-body.js'
import type { ByteBudget } from './byte-budget.js'
import { AcquireCancelledError, type ConcurrencyLimit, QueueTimeoutError } from './concurrency-limit.js'
import { type ContractValidators, describeViolation } from './contract.js'
import { exchange } from './exchange.js'
import type { UpstreamCallRecord } from './observer.js'
import { parseRetryAfter, RETRYABLE_STATUSES } from './retry-policy.js'
import { scrubUpstreamText } from './scrub.js'
import { describeCause, isLocalResourceError, isTimeout } from './transport-errors.js'
import {
  type CallSubject,
  cancelled,
  deadlineExceeded,
  invalidAnswer,
  overloaded,
  statusError,
  timedOut,
  UpstreamError,
  unreachable,
} from './upstream-error.js'

/** Error bodies are read up to this size: enough for the contract's error object. */
const ERROR_BODY_LIMIT = 64 * 1024

/** One upstream call: what it asks for and how messages name it. */
export interface CallTarget extends CallSubject {
  readonly operation: UpstreamCallRecord['operation']
  /** Path and query string below the base URL. */
  readonly path: string
  readonly pathTemplate: string
}

/** A caller within one operation: its identity, its deadline and its share of call slots. */
export interface OperationCaller extends CallerIdentity {
  /** performance.now() value after which no upstream work of the operation starts or continues. */
  readonly deadlineAt: number
  readonly slots: ConcurrencyLimit
}

/**
 * What an attempt's outcome says about health: failure counts for the region's and the
 * caller's circuits; answered: the region is up; unusable: the region answered something this
 * caller cannot use (too large, off contract, or the largest answer being read when the budget
 * ran out), which counts against the caller's own circuit only; unsent: no call went out;
 * cancelled: the client went away first; local: the gateway ran out of file descriptors or
 * memory. The last three say nothing about the region or the caller.
 */
export type AttemptHealth = 'failure' | 'answered' | 'unusable' | 'unsent' | 'cancelled' | 'local'

/** How one HTTP attempt ended. */
export type AttemptOutcome =
  | {
      readonly ok: true
      readonly body: unknown
      readonly bytes: number
      readonly status: number
      readonly durationMs: number
      readonly reused: boolean
    }
  | {
      readonly ok: false
      readonly error: UpstreamError
      /** What the transport reported: error name and code only (messages may carry URLs). */
      readonly cause?: string | undefined
      readonly status: number | undefined
      readonly durationMs: number
      /** Connection errors and 502/503/504 may be retried. */
      readonly retryable: boolean
      readonly retryAfterMs?: number | undefined
      readonly health: AttemptHealth
    }

export interface AttemptSettings {
  readonly dispatcher: Dispatcher
  readonly origin: string
  /** The base URL's path, without a trailing slash. */
  readonly basePath: string
  /** Per-call budget from sending the request to the last body byte. */
  readonly timeoutMs: number
  /** The operation deadline, as messages name it. */
  readonly deadlineMs: number
  readonly maxBodyBytes: number
  /** Calls in flight over all operations. */
  readonly slots: ConcurrencyLimit
  readonly budget: ByteBudget
  readonly answers: AnswerMemo | undefined
  readonly validators: ContractValidators
}

/**
 * One HTTP attempt within the operation's budget: a slot of the operation's and of the
 * process's cap, the exchange, the bounded body, parsing and checking the answer against the
 * contract. Every failure is an outcome, never a throw.
 */
export async function attemptCall(
  settings: AttemptSettings,
  caller: OperationCaller,
  target: CallTarget,
  contract: ValidateFunction<unknown>,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal | undefined,
): Promise<AttemptOutcome> {
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10
  const failed = (
    error: UpstreamError,
    health: AttemptHealth,
    more: {
      status?: number | undefined
      retryable?: boolean
      cause?: string
      retryAfterMs?: number | undefined
    } = {},
  ): AttemptOutcome => ({
    ok: false,
    error,
    health,
    status: more.status,
    durationMs: elapsed(),
    retryable: more.retryable ?? false,
    retryAfterMs: more.retryAfterMs,
    cause: more.cause,
  })
  const unsent = () => failed(deadlineExceeded(target, settings.deadlineMs), 'unsent')
  let releaseOperationSlot: (() => void) | undefined
  let releaseSlot: (() => void) | undefined
  try {
    releaseOperationSlot = await caller.slots.acquire(caller.deadlineAt - performance.now(), signal)
    releaseSlot = await settings.slots.acquire(caller.deadlineAt - performance.now(), signal)
  } catch (error) {
    releaseOperationSlot?.()
    if (error instanceof AcquireCancelledError) return failed(cancelled(target), 'cancelled')
    if (!(error instanceof QueueTimeoutError)) throw error
    return unsent()
  }
  const remainingMs = caller.deadlineAt - performance.now()
  if (remainingMs < 1) {
    // The slot came free just as the deadline ran out: do not send a call that cannot finish.
    releaseSlot()
    releaseOperationSlot()
    return unsent()
  }
  const budgetMs = Math.min(settings.timeoutMs, Math.floor(remainingMs))
  const cutByDeadline = budgetMs < settings.timeoutMs
  let status: number | undefined
  let retryAfter: string | string[] | undefined
  let body: BoundedBody | undefined
  // The slots are given back when undici lets go of the call (the exchange's onDone), which
  // for a call that ran out of time while queued for a connection is later than its answer:
  // the caps bound what undici holds, not only what callers wait for.
  const release = (): void => {
    releaseSlot?.()
    releaseOperationSlot?.()
  }
  const statusFailure = (answered: number, bytes: BodyBytes | undefined): AttemptOutcome =>
    failed(
      statusError(target, answered, errorBody(settings, bytes, caller)),
      answered >= 500 ? 'failure' : 'answered',
      {
        status: answered,
        retryable: RETRYABLE_STATUSES.has(answered),
        retryAfterMs: parseRetryAfter(retryAfter),
      },
    )
  try {
    const answer = await exchange(
      settings.dispatcher,
      {
        origin: settings.origin,
        path: `${settings.basePath}${target.path}`,
        headers: {
          ...headers,
          authorization: caller.authorization,
          accept: 'application/json',
          'x-request-id': caller.requestId,
        },
      },
      { budgetMs, signal, onDone: release },
      (answered, answerHeaders) => {
        status = answered
        if (!isSuccess(answered)) {
          retryAfter = answerHeaders['retry-after']
          body = new BoundedBody(ERROR_BODY_LIMIT, settings.budget)
        } else if (!(Number(answerHeaders['content-length']) > settings.maxBodyBytes)) {
          body = new BoundedBody(settings.maxBodyBytes, settings.budget, settings.answers?.known(target.path))
        }
        // A 2xx declared larger than the limit is refused before reading: the connection is
        // dropped rather than drained.
        return body
      },
    )
    const bytes = answer.complete ? body?.end() : undefined
    if (!isSuccess(answer.status)) return statusFailure(answer.status, bytes)
    if (body?.overBudget) {
      const why = 'it was the largest answer being read when the budget for them ran out'
      return failed(overloaded(target, why), 'local', { status })
    }
    if (!bytes) throw invalidAnswer(target, `the answer is larger than ${settings.maxBodyBytes} bytes`)
    const { value, reused } = parseAnswer(settings, bytes, target, contract)
    return { ok: true, body: value, bytes: bytes.size, status: answer.status, durationMs: elapsed(), reused }
  } catch (error) {
    if (signal?.aborted) return failed(cancelled(target), 'cancelled', { status })
    if (isLocalResourceError(error)) {
      return failed(overloaded(target, 'it is out of file descriptors or memory'), 'local', {
        status,
      })
    }
    // An error status whose body broke off or ran out of time still says what it says.
    if (status !== undefined && !isSuccess(status)) return statusFailure(status, undefined)
    // The region answered, but with something unusable (too large, not JSON, off contract).
    if (error instanceof UpstreamError) return failed(error, 'unusable', { status })
    const timeout = isTimeout(error)
    return failed(
      timeout
        ? cutByDeadline
          ? deadlineExceeded(target, settings.deadlineMs)
          : timedOut(target, settings.timeoutMs)
        : unreachable(target),
      'failure',
      {
        status,
        cause: describeCause(error),
        // A connection that failed before an answer is safe to retry for a GET; a timeout is not
        // retried: the region is slow, and asking again only doubles the wait.
        retryable: !timeout && status === undefined,
      },
    )
  } finally {
    // Read, parsed or dropped: the body's bytes no longer count against the budget.
    body?.release()
  }
}

/**
 * Parses a 2xx body and checks it against the contract; a body byte-identical to one seen
 * before is not parsed again (AnswerMemo).
 */
function parseAnswer(
  settings: AttemptSettings,
  bytes: BodyBytes,
  target: CallTarget,
  contract: ValidateFunction<unknown>,
): { value: unknown; reused: boolean } {
  if (bytes.known) return { value: bytes.known.value, reused: true }
  let value: unknown
  try {
    value = JSON.parse(bodyText(bytes.chunks))
  } catch {
    throw invalidAnswer(target, 'the answer is not JSON')
  }
  if (!contract(value)) throw invalidAnswer(target, describeViolation(contract.errors))
  if (typeof value === 'object' && value !== null) {
    settings.answers?.offer(target.path, bytes.chunks, bytes.size, value)
  }
  return { value, reused: false }
}

/**
 * What an error body may tell the caller: the upstream's error code and its trace id, when the
 * body is the contract's error object. Its description is never shown: free text that could
 * echo the request.
 */
function errorBody(
  settings: AttemptSettings,
  bytes: BodyBytes | undefined,
  caller: CallerIdentity,
): { upstreamCode?: string; traceId?: string } {
  if (!bytes) return {}
  try {
    const parsed: unknown = JSON.parse(bodyText(bytes.chunks))
    if (!settings.validators.error(parsed)) return {}
    const traceId = parsed.trace_id && scrubUpstreamText(parsed.trace_id, caller.authorization)
    return { upstreamCode: parsed.error, ...(traceId ? { traceId } : {}) }
  } catch {
    // A non-JSON error body still maps by status; its text is never echoed.
    return {}
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}
