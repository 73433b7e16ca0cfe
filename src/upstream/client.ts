import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ValidateFunction } from 'ajv'
import { Agent, type Dispatcher, request, errors as undiciErrors } from 'undici'
import type { ResilienceConfig } from '../config.js'
import { asGatewayError, codeForUpstreamStatus, GatewayError } from '../errors.js'
import type { Logger } from '../logger.js'
import { isUuid } from '../validation.js'
import { AnswerComparison, AnswerMemo, type KnownAnswer } from './answer-memo.js'
import { bodyText } from './body-text.js'
import { type BudgetAccount, ByteBudget } from './byte-budget.js'
import { type Admission, CircuitBreakers, type CircuitScope } from './circuit-breaker.js'
import { AcquireCancelledError, ConcurrencyLimit, QueueTimeoutError } from './concurrency-limit.js'
import { type ContractValidators, compileContractValidators, describeViolation } from './contract.js'
import { type BodyConsumer, exchange } from './exchange.js'
import { parseRetryAfter, RETRYABLE_STATUSES, retryDelayMs } from './retry-policy.js'
import { scrubUpstreamText } from './scrub.js'
import type { UpstreamImage, UpstreamImageScope, UpstreamRegion } from './types.js'
import { makeRoomToParse } from './young-generation.js'

export interface RegionApiClientOptions {
  /** Base URL of the Region Service, without a trailing slash. */
  readonly baseUrl: string
  /** Per-call budget from sending the request to the last body byte. */
  readonly timeoutMs: number
  /** Answers larger than this are refused (UPSTREAM_INVALID_RESPONSE). */
  readonly maxBodyBytes: number
  /**
   * Bytes of answers being read at once, over all calls; a call whose body does not fit fails
   * with GATEWAY_OVERLOADED.
   */
  readonly bufferBytes: number
  /** Keep-alive connections per upstream origin; sized for fan-out over many regions. */
  readonly connections: number
  /** Deadline, retries, concurrency caps and circuit breaker. */
  readonly resilience: ResilienceConfig
  readonly logger: Logger
  /** Source of backoff jitter; injectable for tests. */
  readonly random?: () => number
  /** Watches every call (metrics, tracing); sees no credentials. */
  readonly observer?: UpstreamObserver | undefined
  /**
   * Body bytes of parsed answers kept so byte-identical answers are parsed and checked once
   * (see AnswerMemo); 0 or absent turns that off.
   */
  readonly answerMemoBytes?: number | undefined
}

export interface ListImagesRequest {
  readonly regionId: string
  /** Sent as repeated `organizationID` keys; empty means global images only. */
  readonly organizationIds: readonly string[]
  /** Only meaningful with organizationIds; omitted otherwise. */
  readonly scope?: UpstreamImageScope | undefined
}

/** A region's image list as the client hands it out. */
export interface ImageListAnswer {
  /** Never to be changed: a shared array is every caller's with the same answer. */
  readonly images: readonly UpstreamImage[]
  /** Size of the JSON body the images were parsed from. */
  readonly bytes: number
  /**
   * The array came from the answer memo, which hands this same array out for every
   * byte-identical answer of the region: what is derived from it can be kept with it. False
   * for an array this call parsed, even one the memo keeps from now on.
   */
  readonly shared: boolean
}

/** The code of a call that ended because the client went away (records and observers). */
export const CANCELLED_CODE = 'CANCELLED'

/**
 * The code observers see for a call the region's open circuit stopped before it was sent (the
 * caller's error says UPSTREAM_UNAVAILABLE): no request reached the Region Service, so it has
 * no status and no duration to report.
 */
export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN'

/** One finished upstream call (one HTTP attempt), as the per-request log line counts it. */
export interface UpstreamCallRecord {
  readonly operation: 'listImages' | 'listRegions'
  readonly regionId?: string | undefined
  readonly status: number | undefined
  readonly durationMs: number
  /**
   * The gateway error code; `CANCELLED_CODE` when the client went away before the answer, and
   * (for observers) `CIRCUIT_OPEN_CODE` when the call was never sent.
   */
  readonly code?: string | undefined
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

/** How one upstream call ended, as observers see it. */
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

export interface CallerIdentity {
  /** The caller's Authorization header, forwarded verbatim and to nobody but the Region Service. */
  readonly authorization: string
  /** Tells callers apart without the credential (a keyed hash of it): whose failures these are. */
  readonly callerKey: string
  readonly requestId: string
  readonly log: Logger
  readonly onCall?: ((call: UpstreamCallRecord) => void) | undefined
}

/**
 * The Region Service as one caller sees it: every call carries that caller's credentials. A
 * call whose `signal` aborts (the client went away) stops waiting for a slot, is cut if in
 * flight and is not retried.
 */
export interface CallerRegionApi {
  listImages(request: ListImagesRequest, signal?: AbortSignal): Promise<ImageListAnswer>
  listRegions(organizationId: string, signal?: AbortSignal): Promise<UpstreamRegion[]>
}

/** Bytes the client holds, for metrics. */
export interface UpstreamMemory {
  readonly answerMemoBytes: number
  readonly answerMemoLimit: number
  readonly bufferedBytes: number
  readonly bufferLimit: number
}

/** Result of `RegionApiClient.probe`. */
export interface UpstreamProbe {
  readonly reachable: boolean
  readonly status?: number
  readonly reason?: string
}

const PROBE_PATH = '/api/v1/organizations/00000000-0000-0000-0000-000000000000/regions'
const ERROR_BODY_LIMIT = 64 * 1024

interface CallTarget {
  readonly operation: UpstreamCallRecord['operation']
  readonly path: string
  readonly pathTemplate: string
  readonly regionId?: string | undefined
  readonly subject: string
}

/** A caller within one operation: its identity, its deadline and its share of call slots. */
interface OperationCaller extends CallerIdentity {
  /** performance.now() value after which no upstream work of the operation starts or continues. */
  readonly deadlineAt: number
  readonly slots: ConcurrencyLimit
}

/** How one HTTP attempt ended, and what it says about the region's health. */
type AttemptOutcome =
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
      readonly error: GatewayError
      /** What the transport reported: error name and code only (messages may carry URLs). */
      readonly cause?: string | undefined
      readonly status: number | undefined
      readonly durationMs: number
      /** Connection errors and 502/503/504 may be retried. */
      readonly retryable: boolean
      readonly retryAfterMs?: number | undefined
      /**
       * failure: counts toward opening the circuits; answered: the region is up; unusable: the
       * region answered something this caller cannot use (too large, off contract, or the
       * largest answer being read when the budget ran out), which counts against the caller's
       * own circuit only; unsent: no call went out; cancelled: the client went away first;
       * local: the gateway ran out of file descriptors or memory. The last three say nothing
       * about the region or the caller.
       */
      readonly health: 'failure' | 'answered' | 'unusable' | 'unsent' | 'cancelled' | 'local'
    }

/**
 * The only module that speaks HTTP to the Region Service. It owns the keep-alive pool, the
 * per-call timeout and operation deadline, retries, concurrency caps, the circuit breakers,
 * the budget of answer bytes being read, the mapping of statuses to the error catalogue and
 * validation of every payload against the OpenAPI contract.
 */
export class RegionApiClient {
  readonly #options: RegionApiClientOptions
  readonly #origin: string
  readonly #basePath: string
  readonly #dispatcher: Dispatcher
  readonly #validators: ContractValidators
  readonly #slots: ConcurrencyLimit
  readonly #breakers: CircuitBreakers
  readonly #answers: AnswerMemo | undefined
  readonly #buffered: ByteBudget

  constructor(options: RegionApiClientOptions) {
    this.#options = options
    const base = new URL(options.baseUrl)
    this.#origin = base.origin
    this.#basePath = base.pathname.replace(/\/+$/, '')
    this.#dispatcher = new Agent({
      connections: options.connections,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
    this.#validators = compileContractValidators()
    this.#answers = options.answerMemoBytes ? new AnswerMemo(options.answerMemoBytes) : undefined
    this.#slots = new ConcurrencyLimit(options.resilience.maxConcurrency)
    this.#buffered = new ByteBudget(options.bufferBytes)
    const log = options.logger.child({ component: 'upstream' })
    this.#breakers = new CircuitBreakers({
      failureThreshold: options.resilience.breakerFailureThreshold,
      cooldownMs: options.resilience.breakerCooldownMs,
      minCallers: options.resilience.breakerMinCallers,
      onStateChange: (regionId, state, scope) => {
        if (scope === 'caller') {
          // One caller's own circuit: the region stays open to everyone else.
          log.info({ regionId, circuit: state, scope }, `a caller's circuit for the region is ${state}`)
          return
        }
        options.observer?.circuitStateChanged?.(regionId, state === 'half-open' ? 'half_open' : state)
        if (state === 'open')
          log.warn({ regionId, circuit: state, scope }, 'region circuit opened: failing fast')
        else log.info({ regionId, circuit: state, scope }, `region circuit ${state}`)
      },
    })
  }

  /** What the client holds now, in bytes: kept answers (with their bound) and bodies being read. */
  get memory(): UpstreamMemory {
    return {
      answerMemoBytes: this.#answers?.bytes ?? 0,
      answerMemoLimit: this.#options.answerMemoBytes ?? 0,
      bufferedBytes: this.#buffered.used,
      bufferLimit: this.#buffered.limit,
    }
  }

  /**
   * The Region Service for one caller and one GraphQL operation: the operation's deadline
   * starts now and its upstream calls share one concurrency cap.
   */
  forCaller(caller: CallerIdentity): CallerRegionApi {
    const operation: OperationCaller = {
      ...caller,
      deadlineAt: performance.now() + this.#options.resilience.operationDeadlineMs,
      slots: new ConcurrencyLimit(this.#options.resilience.maxConcurrencyPerOperation),
    }
    return {
      listImages: (req, signal) => this.#listImages(operation, req, signal),
      listRegions: (organizationId, signal) => this.#listRegions(operation, organizationId, signal),
    }
  }

  async close(): Promise<void> {
    this.#answers?.clear()
    await this.#dispatcher.close()
  }

  /**
   * Whether the Region Service answers at all, for readiness: one GET of the region list of an
   * organization that cannot exist, without any caller's token. Any HTTP answer below 500 (401
   * is the expected one) means reachable; 5xx (a proxy in front with nothing behind it), a
   * timeout or a connection failure mean not. No retries, no observers, no logs.
   */
  async probe(timeoutMs: number): Promise<UpstreamProbe> {
    try {
      const response = await request(`${this.#origin}${this.#basePath}${PROBE_PATH}`, {
        method: 'GET',
        dispatcher: this.#dispatcher,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      })
      await response.body.dump()
      const status = response.statusCode
      return status < 500
        ? { reachable: true, status }
        : { reachable: false, status, reason: `the Region Service answered HTTP ${status}` }
    } catch (error) {
      return {
        reachable: false,
        reason: isTimeout(error)
          ? `the Region Service did not answer within ${timeoutMs} ms`
          : 'the Region Service could not be reached',
      }
    }
  }

  async #listImages(
    caller: OperationCaller,
    req: ListImagesRequest,
    signal: AbortSignal | undefined,
  ): Promise<ImageListAnswer> {
    assertUuid(req.regionId, 'region')
    const query = new URLSearchParams()
    for (const organizationId of req.organizationIds) query.append('organizationID', organizationId)
    if (req.scope !== undefined && req.organizationIds.length > 0) query.set('scope', req.scope)
    const search = query.size > 0 ? `?${query}` : ''
    const target: CallTarget = {
      operation: 'listImages',
      path: `/api/v2/regions/${encodeURIComponent(req.regionId)}/images${search}`,
      pathTemplate: '/api/v2/regions/{regionID}/images',
      regionId: req.regionId,
      subject: `region ${req.regionId}`,
    }
    const { value, reused, bytes } = await this.#get(caller, target, this.#validators.images, signal)
    return { images: value, shared: reused, bytes }
  }

  async #listRegions(
    caller: OperationCaller,
    organizationId: string,
    signal: AbortSignal | undefined,
  ): Promise<UpstreamRegion[]> {
    assertUuid(organizationId, 'organization')
    const target: CallTarget = {
      operation: 'listRegions',
      path: `/api/v1/organizations/${encodeURIComponent(organizationId)}/regions`,
      pathTemplate: '/api/v1/organizations/{organizationID}/regions',
      subject: `the region list of organization ${organizationId}`,
    }
    return (await this.#get(caller, target, this.#validators.regions, signal)).value
  }

  /**
   * One logical GET: admitted by the region's circuit, retried on connection errors and
   * 502/503/504 with jittered backoff while the operation's deadline allows, every attempt
   * logged and counted. `reused`: the value is one the answer memo already held.
   */
  async #get<T>(
    caller: OperationCaller,
    target: CallTarget,
    contract: ValidateFunction<T>,
    signal: AbortSignal | undefined,
  ): Promise<{ value: T; reused: boolean; bytes: number }> {
    const observer = this.#options.observer
    const observed = watchSafely(caller.log, () =>
      observer?.callStarted({
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
    const finish: Finish = (status, failure, ending) => {
      if (finished) return
      finished = true
      watchSafely(caller.log, () =>
        observed?.finished({
          operation: target.operation,
          regionId: target.regionId,
          status,
          reused: ending === 'reused' || undefined,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          code:
            ending === 'cancelled'
              ? CANCELLED_CODE
              : ending === 'circuit-open'
                ? CIRCUIT_OPEN_CODE
                : failure?.code,
          upstreamTraceId: failure?.traceId,
        }),
      )
    }
    try {
      return await this.#getAttempts(caller, target, contract, observed, finish, signal)
    } catch (error) {
      finish(undefined, asGatewayError(error))
      throw error
    }
  }

  async #getAttempts<T>(
    caller: OperationCaller,
    target: CallTarget,
    contract: ValidateFunction<T>,
    observed: UpstreamCallScope | undefined,
    finish: Finish,
    signal: AbortSignal | undefined,
  ): Promise<{ value: T; reused: boolean; bytes: number }> {
    // The client went away before an attempt (or between two): the call ends here.
    const giveUp = (): never => {
      const error = cancelled(target)
      finish(undefined, error, 'cancelled')
      throw error
    }
    if (signal?.aborted) giveUp()
    const region = target.regionId
    let admission: Admission | undefined = region ? this.#breakers.admit(region, caller.callerKey) : undefined
    if (admission && !admission.admitted) {
      const error = circuitOpen(target, admission.retryInMs, admission.scope)
      caller.log.warn(
        {
          upstream: { operation: target.operation, regionId: region, code: CIRCUIT_OPEN_CODE },
          stoppedBy: admission.scope,
        },
        'upstream call skipped: circuit open',
      )
      finish(undefined, error, 'circuit-open')
      throw error
    }
    const headers = extraHeaders(observed?.headers)
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(caller, target, contract, headers, signal)
      if (admission?.admitted) {
        if (outcome.ok || outcome.health === 'answered') admission.ticket.succeeded()
        else if (outcome.health === 'failure') admission.ticket.failed()
        else if (outcome.health === 'unusable') admission.ticket.failedForCaller()
        else admission.ticket.released()
      }
      const delay = outcome.ok
        ? undefined
        : this.#retryDelay(caller, attempt, outcome.retryable, outcome.retryAfterMs)
      this.#report(caller, target, attempt, outcome, delay)
      if (outcome.ok) {
        finish(outcome.status, undefined, outcome.reused ? 'reused' : undefined)
        return { value: outcome.body as T, reused: outcome.reused, bytes: outcome.bytes }
      }
      if (delay === undefined) {
        finish(outcome.status, outcome.error, outcome.health === 'cancelled' ? 'cancelled' : undefined)
        throw outcome.error
      }
      // A client that goes away during the backoff ends the wait, and the call, at once.
      await sleep(delay, undefined, signal ? { signal } : undefined).catch(() => undefined)
      if (signal?.aborted) giveUp()
      if (region) {
        admission = this.#breakers.admit(region, caller.callerKey)
        // The circuit opened meanwhile: the last real failure says more than "circuit open".
        if (!admission.admitted) {
          finish(outcome.status, outcome.error)
          throw outcome.error
        }
      }
      const reason = outcome.status === undefined ? (outcome.cause ?? 'connection') : `HTTP ${outcome.status}`
      watchSafely(caller.log, () => observed?.retrying?.(attempt + 1, reason))
    }
  }

  #retryDelay(
    caller: OperationCaller,
    attempt: number,
    retryable: boolean,
    retryAfterMs: number | undefined,
  ): number | undefined {
    if (!retryable) return undefined
    const resilience = this.#options.resilience
    const delay = retryDelayMs(
      {
        retries: resilience.retries,
        baseDelayMs: resilience.retryBaseDelayMs,
        maxDelayMs: resilience.retryMaxDelayMs,
      },
      attempt,
      retryAfterMs,
      this.#options.random,
    )
    // A retry that could not even start before the deadline only wastes the upstream's time.
    if (delay === undefined || performance.now() + delay >= caller.deadlineAt) return undefined
    return delay
  }

  /** One HTTP attempt within the operation's budget; every failure is an outcome, not a throw. */
  async #attempt(
    caller: OperationCaller,
    target: CallTarget,
    contract: ValidateFunction<unknown>,
    extra: Readonly<Record<string, string>>,
    signal: AbortSignal | undefined,
  ): Promise<AttemptOutcome> {
    const started = performance.now()
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10
    const unsent = (): AttemptOutcome => ({
      ok: false,
      error: deadlineExceeded(target, this.#options.resilience.operationDeadlineMs),
      status: undefined,
      durationMs: elapsed(),
      retryable: false,
      health: 'unsent',
    })
    const gone = (status?: number): AttemptOutcome => ({
      ok: false,
      error: cancelled(target),
      status,
      durationMs: elapsed(),
      retryable: false,
      health: 'cancelled',
    })
    let releaseOperationSlot: (() => void) | undefined
    let releaseSlot: (() => void) | undefined
    try {
      releaseOperationSlot = await caller.slots.acquire(caller.deadlineAt - performance.now(), signal)
      releaseSlot = await this.#slots.acquire(caller.deadlineAt - performance.now(), signal)
    } catch (error) {
      releaseOperationSlot?.()
      if (error instanceof AcquireCancelledError) return gone()
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
    const budgetMs = Math.min(this.#options.timeoutMs, Math.floor(remainingMs))
    const cutByDeadline = budgetMs < this.#options.timeoutMs
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
    const overloaded = (
      answered: number | undefined,
      why: string,
      health: 'unusable' | 'local',
    ): AttemptOutcome => ({
      ok: false,
      error: new GatewayError(
        'GATEWAY_OVERLOADED',
        `The gateway could not take the Region Service's answer for ${target.subject}: ${why}. Retry shortly.`,
        { regionId: target.regionId },
      ),
      status: answered,
      durationMs: elapsed(),
      retryable: false,
      health,
    })
    const statusFailure = (failed: number, bytes: BodyBytes | undefined): AttemptOutcome => ({
      ok: false,
      error: this.#statusError(bytes && bodyText(bytes.chunks), failed, target, caller),
      status: failed,
      durationMs: elapsed(),
      retryable: RETRYABLE_STATUSES.has(failed),
      retryAfterMs: parseRetryAfter(retryAfter),
      health: failed >= 500 ? 'failure' : 'answered',
    })
    try {
      const answer = await exchange(
        this.#dispatcher,
        {
          origin: this.#origin,
          path: `${this.#basePath}${target.path}`,
          headers: {
            ...extra,
            authorization: caller.authorization,
            accept: 'application/json',
            'x-request-id': caller.requestId,
          },
        },
        { budgetMs, signal, onDone: release },
        (answered, headers) => {
          status = answered
          if (!isSuccess(answered)) {
            retryAfter = headers['retry-after']
            body = new BoundedBody(ERROR_BODY_LIMIT, this.#buffered)
          } else if (!(Number(headers['content-length']) > this.#options.maxBodyBytes)) {
            body = new BoundedBody(
              this.#options.maxBodyBytes,
              this.#buffered,
              this.#answers?.known(target.path),
            )
          }
          // A 2xx declared larger than the limit is refused before reading: the connection is
          // dropped rather than drained.
          return body
        },
      )
      const bytes = answer.complete ? body?.end() : undefined
      if (!isSuccess(answer.status)) return statusFailure(answer.status, bytes)
      if (body?.overBudget)
        return overloaded(
          status,
          'it was the largest answer being read when the budget for them ran out',
          'unusable',
        )
      if (!bytes)
        throw invalidResponse(target, `the answer is larger than ${this.#options.maxBodyBytes} bytes`)
      const { value, reused } = this.#parseAnswer(bytes, target, contract)
      return {
        ok: true,
        body: value,
        bytes: bytes.size,
        status: answer.status,
        durationMs: elapsed(),
        reused,
      }
    } catch (error) {
      if (signal?.aborted) return gone(status)
      if (isLocalResourceError(error))
        return overloaded(status, 'it is out of file descriptors or memory', 'local')
      // An error status whose body broke off or ran out of time still says what it says.
      if (status !== undefined && !isSuccess(status)) return statusFailure(status, undefined)
      if (error instanceof GatewayError) {
        // The region answered, but with something unusable (too large, not JSON, off contract).
        return { ok: false, error, status, durationMs: elapsed(), retryable: false, health: 'unusable' }
      }
      const timedOut = isTimeout(error)
      return {
        ok: false,
        cause: describeCause(error),
        error: timedOut
          ? cutByDeadline
            ? deadlineExceeded(target, this.#options.resilience.operationDeadlineMs)
            : new GatewayError(
                'UPSTREAM_TIMEOUT',
                `The Region Service did not answer for ${target.subject} within ${this.#options.timeoutMs} ms`,
                { regionId: target.regionId },
              )
          : new GatewayError(
              'UPSTREAM_UNAVAILABLE',
              `The Region Service could not be reached for ${target.subject}`,
              { regionId: target.regionId },
            ),
        status,
        durationMs: elapsed(),
        // A connection that failed before an answer is safe to retry for a GET; a timeout is not
        // retried: the region is slow, and asking again only doubles the wait.
        retryable: !timedOut && status === undefined,
        health: 'failure',
      }
    } finally {
      // Read, parsed or dropped: the body's bytes no longer count against the budget.
      body?.release()
    }
  }

  #report(
    caller: OperationCaller,
    target: CallTarget,
    attempt: number,
    outcome: AttemptOutcome,
    retryInMs: number | undefined,
  ): void {
    const failure = outcome.ok ? undefined : outcome.error
    const cancelledCall = !outcome.ok && outcome.health === 'cancelled'
    const record: UpstreamCallRecord = {
      operation: target.operation,
      regionId: target.regionId,
      status: outcome.status,
      durationMs: outcome.durationMs,
      code: cancelledCall ? CANCELLED_CODE : failure?.code,
      attempt,
    }
    // Counted when the region was asked: not for calls never sent or cut for a client that left.
    if (outcome.ok || ['failure', 'answered', 'unusable'].includes(outcome.health)) caller.onCall?.(record)
    const cause = outcome.ok ? undefined : outcome.cause
    const fields = { upstream: record, traceId: failure?.traceId, cause, retryInMs }
    if (cancelledCall) {
      caller.log.debug(fields, 'upstream call cancelled: the client went away')
      return
    }
    // A fan-out makes dozens of calls per request: successes are debug lines (the request line
    // counts them; metrics and traces have each), failures stay visible.
    if (failure && failure.code !== 'NOT_FOUND') caller.log.warn(fields, 'upstream call failed')
    else if (failure) caller.log.info(fields, 'upstream call')
    else caller.log.debug(fields, 'upstream call')
  }

  /**
   * Parses a 2xx body and checks it against the contract; a body byte-identical to one seen
   * before is not parsed again (AnswerMemo).
   */
  #parseAnswer(
    bytes: BodyBytes,
    target: CallTarget,
    contract: ValidateFunction<unknown>,
  ): { value: unknown; reused: boolean } {
    if (bytes.known) return { value: bytes.known.value, reused: true }
    let value: unknown
    makeRoomToParse(bytes.size)
    try {
      value = JSON.parse(bodyText(bytes.chunks))
    } catch {
      throw invalidResponse(target, 'the answer is not JSON')
    }
    if (!contract(value)) throw invalidResponse(target, describeViolation(contract.errors))
    if (typeof value === 'object' && value !== null)
      this.#answers?.offer(target.path, bytes.chunks, bytes.size, value)
    return { value, reused: false }
  }

  /**
   * The error of a non-2xx answer: a message the gateway writes, with the status, the upstream's
   * error code and its trace id from the body when it is the contract's error object. The
   * upstream's own description is never shown: it is free text that could echo the request.
   */
  #statusError(text: string | undefined, status: number, target: CallTarget, caller: CallerIdentity) {
    let traceId: string | undefined
    let upstreamCode: string | undefined
    if (text !== undefined) {
      try {
        const parsed: unknown = JSON.parse(text)
        if (this.#validators.error(parsed)) {
          traceId = parsed.trace_id && scrubUpstreamText(parsed.trace_id, caller.authorization)
          upstreamCode = parsed.error
        }
      } catch {
        // A non-JSON error body still maps by status; its text is never echoed.
      }
    }
    const code = codeForUpstreamStatus(status)
    const detail = upstreamCode ? `HTTP ${status}, ${upstreamCode}` : `HTTP ${status}`
    return new GatewayError(
      code,
      `${MESSAGES[code] ?? 'The Region Service failed'} for ${target.subject} (${detail})`,
      {
        status,
        traceId: traceId || undefined,
        regionId: target.regionId,
      },
    )
  }
}

const MESSAGES: Partial<Record<string, string>> = {
  UNAUTHENTICATED: 'The Region Service rejected the bearer token',
  FORBIDDEN: 'The Region Service denied access',
  NOT_FOUND: 'The Region Service does not know or does not show',
  UPSTREAM_ERROR: 'The Region Service failed',
}

function invalidResponse(target: CallTarget, why: string): GatewayError {
  return new GatewayError(
    'UPSTREAM_INVALID_RESPONSE',
    `The Region Service's answer for ${target.subject} is invalid: ${why}`,
    {
      status: 200,
      regionId: target.regionId,
    },
  )
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300
}

/**
 * How a call ended besides its status and error: its answer was reused, the client went away,
 * or the region's open circuit kept it from being sent.
 */
type Finish = (
  status: number | undefined,
  failure: GatewayError | undefined,
  ending?: 'reused' | 'cancelled' | 'circuit-open',
) => void

/** Nobody sees this error: the client it was for has gone. It is what the call's promise rejects with. */
function cancelled(target: CallTarget): GatewayError {
  return new GatewayError(
    'UPSTREAM_UNAVAILABLE',
    `The request was cancelled by the client before the Region Service answered for ${target.subject}`,
    { regionId: target.regionId },
  )
}

function deadlineExceeded(target: CallTarget, deadlineMs: number): GatewayError {
  return new GatewayError(
    'UPSTREAM_TIMEOUT',
    `The operation's deadline of ${deadlineMs} ms ran out before the Region Service answered for ${target.subject}`,
    { regionId: target.regionId },
  )
}

function circuitOpen(target: CallTarget, retryInMs: number, scope: CircuitScope): GatewayError {
  const pause = `${Math.max(1, Math.ceil(retryInMs / 1000))} s`
  return new GatewayError(
    'UPSTREAM_UNAVAILABLE',
    scope === 'caller'
      ? `The Region Service keeps failing your calls for ${target.subject}; the gateway stops sending them for ${pause}`
      : `The Region Service keeps failing for ${target.subject}; the gateway stops asking it for ${pause}`,
    { regionId: target.regionId },
  )
}

/** The only headers an observer may add: W3C trace context. */
const OBSERVER_HEADERS = new Set(['traceparent', 'tracestate'])

/**
 * Observer-supplied headers, only those of `OBSERVER_HEADERS`: nothing an observer adds can
 * change who calls, what is asked or what the upstream is told about the caller.
 */
function extraHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (!headers) return {}
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => OBSERVER_HEADERS.has(name.toLowerCase())),
  )
}

function assertUuid(value: string, what: string): void {
  // Resolvers validate first; this guards the URL path against anything that slipped through.
  if (!isUuid(value)) throw new GatewayError('BAD_USER_INPUT', `The ${what} id must be a UUID.`)
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return typeof error
  const code = (error as { code?: unknown }).code
  const inner = error.cause instanceof Error ? describeCause(error.cause) : undefined
  return [error.name, typeof code === 'string' ? code : undefined, inner && `caused by ${inner}`]
    .filter(Boolean)
    .join(' ')
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return (
    error.name === 'TimeoutError' ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    (error.name === 'AbortError' && error.cause instanceof Error && error.cause.name === 'TimeoutError')
  )
}

interface BodyBytes {
  readonly chunks: readonly Buffer[]
  readonly size: number
  /** The kept answer the body equals byte for byte (its chunks were not kept). */
  readonly known?: KnownAnswer
}

/**
 * A body taken chunk by chunk, up to `limit` bytes and while the process-wide budget has room
 * for it. Compared with `known` answers as it arrives: chunks that one of them still matches
 * are not kept.
 */
class BoundedBody implements BodyConsumer {
  readonly #limit: number
  readonly #account: BudgetAccount
  readonly #comparison: AnswerComparison | undefined
  #chunks: Buffer[] = []
  #size = 0
  /** Reading stopped because the budget had no room: it was full, or larger readers won. */
  overBudget = false

  constructor(limit: number, budget: ByteBudget, known: readonly KnownAnswer[] = []) {
    this.#limit = limit
    this.#account = budget.open(() => {
      // Made to give way: what was read goes, and reading stops at the next chunk.
      this.overBudget = true
      this.#chunks = []
    })
    this.#comparison = known.length > 0 ? new AnswerComparison(known) : undefined
  }

  /** Takes a chunk; false once the body is past the limit or the budget (read no further). */
  write(chunk: Buffer): boolean {
    this.#size += chunk.length
    if (this.#size > this.#limit || this.overBudget) return false
    // Chunks that match a kept answer are not kept, and what they matched is the memo's.
    const kept = this.#comparison ? this.#comparison.next(chunk) : [chunk]
    if (kept.length > 0 && !this.#account.take(chunk.length)) {
      this.overBudget = true
      return false
    }
    this.#chunks.push(...kept)
    return true
  }

  /** The body, once its last chunk was written. */
  end(): BodyBytes {
    const outcome = this.#comparison?.end()
    if (outcome && 'known' in outcome) return { chunks: [], size: this.#size, known: outcome.known }
    if (outcome) this.#chunks.push(...outcome.owed)
    return { chunks: this.#chunks, size: this.#size }
  }

  /** Gives the bytes taken back to the budget; the body is not used after this. */
  release(): void {
    this.#account.close()
  }
}

/**
 * Errors of the gateway's own resources, not the region's: they never count against a
 * region's circuit.
 */
const LOCAL_ERROR_CODES = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL'])

function isLocalResourceError(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && LOCAL_ERROR_CODES.has(code)) return true
    current = current.cause
  }
  return false
}

/** Runs an observer callback; if it throws, logs it and carries on without it. */
function watchSafely<T>(log: Logger, callback: () => T): T | undefined {
  try {
    return callback()
  } catch (error) {
    log.error({ err: error }, 'upstream observer failed; the call goes on without it')
    return undefined
  }
}
