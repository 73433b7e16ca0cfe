import { performance } from 'node:perf_hooks'
import { Agent, type Dispatcher, request } from 'undici'
import type { ResilienceConfig } from '../config.js'
import type { Logger } from '../logger.js'
import { isUuid } from '../uuid.js'
import { AnswerMemo } from './answer-memo.js'
import type {
  CallerIdentity,
  CallerRegionApi,
  ImageListAnswer,
  ListImagesRequest,
  UpstreamMemory,
  UpstreamProbe,
} from './api.js'
import type { AttemptSettings, CallTarget, OperationCaller } from './attempt.js'
import { ByteBudget } from './byte-budget.js'
import { UpstreamCalls } from './call.js'
import { CircuitBreakers } from './circuit-breaker.js'
import { ConcurrencyLimit } from './concurrency-limit.js'
import { compileContractValidators } from './contract.js'
import type { UpstreamObserver } from './observer.js'
import { isTimeout } from './transport-errors.js'
import type { UpstreamRegion } from './types.js'
import { UpstreamError } from './upstream-error.js'

export interface RegionApiClientOptions {
  /** Base URL of the Region Service, without a trailing slash. */
  readonly baseUrl: string
  /** Per-call budget from sending the request to the last body byte. */
  readonly timeoutMs: number
  /** Answers larger than this are refused (an invalid answer). */
  readonly maxBodyBytes: number
  /** Bytes of answers being read at once, over all calls (see ByteBudget). */
  readonly bufferBytes: number
  /** Keep-alive connections per upstream origin; sized for fan-out over many regions. */
  readonly connections: number
  /** Deadline, retries, concurrency caps and circuit breakers. */
  readonly resilience: ResilienceConfig
  readonly logger: Logger
  /** Source of backoff jitter; injectable for tests. */
  readonly random?: () => number
  /** Clock of circuit cool-downs, in milliseconds; injectable for tests. */
  readonly now?: (() => number) | undefined
  /** Watches every call (metrics, tracing); sees no credentials. */
  readonly observer?: UpstreamObserver | undefined
  /**
   * Memory of parsed answers kept so byte-identical answers are parsed and checked once (see
   * AnswerMemo); 0 or absent turns that off.
   */
  readonly answerMemoBytes?: number | undefined
}

const PROBE_PATH = '/api/v1/organizations/00000000-0000-0000-0000-000000000000/regions'

/**
 * The only module that speaks HTTP to the Region Service. It owns the keep-alive pool, the
 * per-call timeout and operation deadline, retries (cockatiel's retry loop, with the delays of
 * retry-policy.ts), concurrency caps, the circuit breakers, the budget of answer bytes being
 * read and validation of every payload against the OpenAPI contract. It rejects with
 * UpstreamError and knows nothing of GraphQL.
 */
export class RegionApiClient {
  readonly #options: RegionApiClientOptions
  readonly #dispatcher: Dispatcher
  readonly #attempts: AttemptSettings
  readonly #answers: AnswerMemo | undefined
  readonly #budget: ByteBudget
  readonly #calls: UpstreamCalls

  constructor(options: RegionApiClientOptions) {
    this.#options = options
    const base = new URL(options.baseUrl)
    this.#dispatcher = new Agent({
      connections: options.connections,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
    this.#answers = options.answerMemoBytes ? new AnswerMemo(options.answerMemoBytes) : undefined
    this.#budget = new ByteBudget(options.bufferBytes)
    this.#attempts = {
      dispatcher: this.#dispatcher,
      origin: base.origin,
      basePath: base.pathname.replace(/\/+$/, ''),
      timeoutMs: options.timeoutMs,
      deadlineMs: options.resilience.operationDeadlineMs,
      maxBodyBytes: options.maxBodyBytes,
      slots: new ConcurrencyLimit(options.resilience.maxConcurrency),
      budget: this.#budget,
      answers: this.#answers,
      validators: compileContractValidators(),
    }
    this.#calls = new UpstreamCalls({
      attempts: this.#attempts,
      breakers: createBreakers(options),
      resilience: options.resilience,
      observer: options.observer,
      random: options.random,
    })
  }

  /** What the client holds now, in bytes: kept answers (with their bound) and bodies being read. */
  get memory(): UpstreamMemory {
    return {
      answerMemoBytes: this.#answers?.bytes ?? 0,
      answerMemoLimit: this.#options.answerMemoBytes ?? 0,
      bufferedBytes: this.#budget.used,
      bufferLimit: this.#budget.limit,
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
      const { origin, basePath } = this.#attempts
      const response = await request(`${origin}${basePath}${PROBE_PATH}`, {
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
    const { value, reused, bytes } = await this.#calls.get(
      caller,
      target,
      this.#attempts.validators.images,
      signal,
    )
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
    return (await this.#calls.get(caller, target, this.#attempts.validators.regions, signal)).value
  }
}

function createBreakers(options: RegionApiClientOptions): CircuitBreakers {
  const log = options.logger.child({ component: 'upstream' })
  return new CircuitBreakers({
    failureThreshold: options.resilience.breakerFailureThreshold,
    cooldownMs: options.resilience.breakerCooldownMs,
    minCallers: options.resilience.breakerMinCallers,
    ...(options.now ? { now: options.now } : {}),
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

function assertUuid(value: string, what: string): void {
  // Resolvers validate first; this guards the URL path against anything that slipped through.
  if (!isUuid(value)) throw new UpstreamError('bad-argument', `The ${what} id must be a UUID.`)
}
