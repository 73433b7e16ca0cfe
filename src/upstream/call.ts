import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ValidateFunction } from 'ajv'
import { ConstantBackoff, handleWhen, type RetryPolicy, retry } from 'cockatiel'
import type { ResilienceConfig } from '../config.js'
import {
  type AttemptHealth,
  type AttemptOutcome,
  type AttemptSettings,
  attemptCall,
  type CallTarget,
  type OperationCaller,
} from './attempt.js'
import type { Admission, CircuitBreakers, CircuitTicket } from './circuit-breaker.js'
import {
  observerHeaders,
  type UpstreamCallRecord,
  type UpstreamCallScope,
  type UpstreamObserver,
  watchSafely,
} from './observer.js'
import { retryDelayMs } from './retry-policy.js'
import { cancelled, circuitOpen, UpstreamError } from './upstream-error.js'

export interface UpstreamCallsOptions {
  readonly attempts: AttemptSettings
  readonly breakers: CircuitBreakers
  readonly resilience: ResilienceConfig
  readonly observer?: UpstreamObserver | undefined
  /** Source of backoff jitter; injectable for tests. */
  readonly random?: (() => number) | undefined
}

type Failed = Extract<AttemptOutcome, { ok: false }>

/**
 * How a failed attempt leaves the retry loop: with `delayMs`, to be tried again that much later
 * (the only errors cockatiel's retry handles); without, for good.
 */
class FailedAttempt extends Error {
  constructor(
    readonly outcome: Failed,
    readonly delayMs?: number,
  ) {
    super(outcome.error.message)
  }
}

/** How a call ended besides its status and error, for its observer. */
type Finish = (status: number | undefined, failure: UpstreamError | undefined, reused?: boolean) => void

/**
 * Logical upstream calls: each observed from start to end, admitted by the circuits, attempted
 * (attempt.ts) and, on connection errors and 502/503/504, tried again by cockatiel's retry loop
 * after the delay retry-policy.ts gives, while the operation's deadline allows. Every attempt is
 * logged and counted.
 */
export class UpstreamCalls {
  readonly #deps: UpstreamCallsOptions
  readonly #retry: RetryPolicy

  constructor(deps: UpstreamCallsOptions) {
    this.#deps = deps
    // Whether and how long to wait is decided per attempt (retry-policy.ts and the deadline),
    // and the next attempt waits itself: cockatiel's own delay cannot be cut short when the
    // client goes away.
    this.#retry = retry(
      handleWhen((error) => error instanceof FailedAttempt && error.delayMs !== undefined),
      { maxAttempts: deps.resilience.retries, backoff: new ConstantBackoff(0) },
    )
  }

  /**
   * One logical GET, observed from start to end: admitted by the circuits, retried on
   * connection errors and 502/503/504 while the operation's deadline allows, every attempt
   * logged and counted. `reused`: the value is one the answer memo already held.
   */
  async get<T>(
    caller: OperationCaller,
    target: CallTarget,
    contract: ValidateFunction<T>,
    signal: AbortSignal | undefined,
  ): Promise<{ value: T; reused: boolean; bytes: number }> {
    const observed = watchSafely(caller.log, () =>
      this.#deps.observer?.callStarted({
        operation: target.operation,
        regionId: target.regionId,
        method: 'GET',
        pathTemplate: target.pathTemplate,
        requestId: caller.requestId,
      }),
    )
    const started = performance.now()
    let finished = false
    // Exactly once per call, whatever happens below; an observer that throws never fails the call.
    const finish: Finish = (status, failure, reused) => {
      if (finished) return
      finished = true
      watchSafely(caller.log, () =>
        observed?.finished({
          operation: target.operation,
          regionId: target.regionId,
          status,
          reused: reused || undefined,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          failure: failure?.kind,
          upstreamTraceId: failure?.traceId,
        }),
      )
    }
    try {
      const outcome = await this.#attemptsOf(caller, target, contract, observed, signal)
      finish(outcome.status, undefined, outcome.reused)
      return { value: outcome.body as T, reused: outcome.reused, bytes: outcome.bytes }
    } catch (error) {
      const failure = error instanceof FailedAttempt ? error.outcome : undefined
      const thrown = failure?.error ?? upstreamErrorOf(error, target)
      finish(failure?.status, thrown)
      throw thrown
    }
  }

  /** The attempts of one call: each admitted by the circuits, reported, retried by cockatiel. */
  async #attemptsOf(
    caller: OperationCaller,
    target: CallTarget,
    contract: ValidateFunction<unknown>,
    observed: UpstreamCallScope | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Extract<AttemptOutcome, { ok: true }>> {
    const headers = observerHeaders(observed?.headers)
    let last: Failed | undefined
    let backoffMs = 0
    const run = async ({ attempt }: { attempt: number }) => {
      // The backoff before a retry ends at once when the client goes away, and so does the call.
      if (backoffMs > 0)
        await sleep(backoffMs, undefined, signal ? { signal } : undefined).catch(() => undefined)
      if (signal?.aborted) throw cancelled(target)
      const admission = this.#admit(caller, target, last)
      if (last) {
        const reason = last.status === undefined ? (last.cause ?? 'connection') : `HTTP ${last.status}`
        watchSafely(caller.log, () => observed?.retrying?.(attempt + 1, reason))
      }
      const outcome = await attemptCall(this.#deps.attempts, caller, target, contract, headers, signal)
      settleCircuits(admission, outcome)
      const delay = outcome.ok ? undefined : this.#retryDelay(caller, attempt + 1, outcome)
      this.#report(caller, target, attempt + 1, outcome, delay)
      if (outcome.ok) return outcome
      last = outcome
      backoffMs = delay ?? 0
      throw new FailedAttempt(outcome, delay)
    }
    return this.#retry.execute(run, signal)
  }

  /**
   * Asks the circuits whether the call may go out; throws when it may not. Before a retry, the
   * last real failure says more than "circuit open".
   */
  #admit(caller: OperationCaller, target: CallTarget, last: Failed | undefined): Admission | undefined {
    const region = target.regionId
    if (!region) return undefined
    const admission = this.#deps.breakers.admit(region, caller.callerKey)
    if (admission.admitted) return admission
    if (last) throw new FailedAttempt(last)
    caller.log.warn(
      {
        upstream: { operation: target.operation, regionId: region, failure: 'circuit-open' },
        stoppedBy: admission.scope,
      },
      'upstream call skipped: circuit open',
    )
    throw circuitOpen(target, admission.retryInMs, admission.scope)
  }

  /** The wait before attempt `attempt + 1`, or undefined when the failure is not to be retried. */
  #retryDelay(caller: OperationCaller, attempt: number, outcome: Failed): number | undefined {
    if (!outcome.retryable) return undefined
    const resilience = this.#deps.resilience
    const delay = retryDelayMs(
      {
        retries: resilience.retries,
        baseDelayMs: resilience.retryBaseDelayMs,
        maxDelayMs: resilience.retryMaxDelayMs,
      },
      attempt,
      outcome.retryAfterMs,
      this.#deps.random,
    )
    // A retry that could not even start before the deadline only wastes the upstream's time.
    if (delay === undefined || performance.now() + delay >= caller.deadlineAt) return undefined
    return delay
  }

  #report(
    caller: OperationCaller,
    target: CallTarget,
    attempt: number,
    outcome: AttemptOutcome,
    retryInMs: number | undefined,
  ): void {
    const failure = outcome.ok ? undefined : outcome.error
    const record: UpstreamCallRecord = {
      operation: target.operation,
      regionId: target.regionId,
      status: outcome.status,
      durationMs: outcome.durationMs,
      failure: failure?.kind,
      attempt,
    }
    // Counted when the region was asked: not for calls never sent or cut for a client that left.
    if (outcome.ok || HEALTH[outcome.health].asked) caller.onCall?.(record)
    const cause = outcome.ok ? undefined : outcome.cause
    const fields = { upstream: record, traceId: failure?.traceId, cause, retryInMs }
    if (failure?.kind === 'cancelled') {
      caller.log.debug(fields, 'upstream call cancelled: the client went away')
      return
    }
    // A fan-out makes dozens of calls per request: successes are debug lines (the request line
    // counts them; metrics and traces have each), failures stay visible.
    if (failure && failure.status !== 404) caller.log.warn(fields, 'upstream call failed')
    else if (failure) caller.log.info(fields, 'upstream call')
    else caller.log.debug(fields, 'upstream call')
  }
}

/** Tells the circuits what an attempt says about the region and the caller. */
function settleCircuits(admission: Admission | undefined, outcome: AttemptOutcome): void {
  if (!admission?.admitted) return
  admission.ticket[outcome.ok ? 'succeeded' : HEALTH[outcome.health].circuits]()
}

/**
 * What a failed attempt's health means: how the circuits take it, and whether the request's
 * log line counts it as a call to the Region Service (it was asked, whatever it answered).
 */
const HEALTH: Record<AttemptHealth, { readonly circuits: keyof CircuitTicket; readonly asked: boolean }> = {
  failure: { circuits: 'failed', asked: true },
  answered: { circuits: 'succeeded', asked: true },
  unusable: { circuits: 'failedForCaller', asked: true },
  unsent: { circuits: 'released', asked: false },
  cancelled: { circuits: 'released', asked: false },
  local: { circuits: 'released', asked: false },
}

/** Anything the attempts threw, as an UpstreamError: unexpected errors become unreachable. */
function upstreamErrorOf(error: unknown, target: CallTarget): UpstreamError {
  if (error instanceof UpstreamError) return error
  return new UpstreamError('unreachable', `The Region Service could not be read for ${target.subject}`, {
    regionId: target.regionId,
  })
}
