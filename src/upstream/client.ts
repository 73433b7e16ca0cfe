import { performance } from 'node:perf_hooks'
import { Agent, type Dispatcher, request, errors as undiciErrors } from 'undici'
import { codeForUpstreamStatus, GatewayError } from '../errors.js'
import type { Logger } from '../logger.js'
import { type ContractValidators, compileContractValidators, describeViolation } from './contract.js'
import type { UpstreamImage, UpstreamImageScope, UpstreamImageState, UpstreamRegion } from './types.js'

export interface RegionApiClientOptions {
  /** Base URL of the Region Service, without a trailing slash. */
  readonly baseUrl: string
  /** Per-call budget from sending the request to the last body byte. */
  readonly timeoutMs: number
  /** Answers larger than this are refused (UPSTREAM_INVALID_RESPONSE). */
  readonly maxBodyBytes: number
  /** Keep-alive connections per upstream origin; sized for fan-out over many regions. */
  readonly connections: number
  readonly logger: Logger
  /** Watches every call (metrics, tracing); sees no credentials. */
  readonly observer?: UpstreamObserver | undefined
}

export interface ListImagesRequest {
  readonly regionId: string
  /** Sent as repeated `organizationID` keys; empty means global images only. */
  readonly organizationIds: readonly string[]
  /** Only meaningful with organizationIds; omitted otherwise. */
  readonly scope?: UpstreamImageScope | undefined
  readonly status?: readonly UpstreamImageState[] | undefined
}

/** One finished upstream call, as the per-request log line counts it. */
export interface UpstreamCallRecord {
  readonly operation: 'listImages' | 'listRegions'
  readonly regionId?: string | undefined
  readonly status: number | undefined
  readonly durationMs: number
  readonly code?: string | undefined
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

/** Circuit breaker states of a region (the breaker itself belongs to the reliability work). */
export type CircuitState = 'closed' | 'half_open' | 'open'

/** Follows one upstream call from start to end; made by an observer for that call. */
export interface UpstreamCallScope {
  /**
   * Headers to add to the call, e.g. W3C `traceparent`. Any named `authorization`, `accept`,
   * `x-request-id`, `host` or `cookie` (in any letter case) is dropped.
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
  readonly requestId: string
  readonly log: Logger
  readonly onCall?: ((call: UpstreamCallRecord) => void) | undefined
}

/** The Region Service as one caller sees it: every call carries that caller's credentials. */
export interface CallerRegionApi {
  listImages(request: ListImagesRequest): Promise<UpstreamImage[]>
  listRegions(organizationId: string): Promise<UpstreamRegion[]>
}

/** Result of `RegionApiClient.probe`. */
export interface UpstreamProbe {
  readonly reachable: boolean
  readonly status?: number
  readonly reason?: string
}

const PROBE_PATH = '/api/v1/organizations/00000000-0000-0000-0000-000000000000/regions'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ERROR_BODY_LIMIT = 64 * 1024

interface CallTarget {
  readonly operation: UpstreamCallRecord['operation']
  readonly path: string
  readonly pathTemplate: string
  readonly regionId?: string | undefined
  readonly subject: string
}

/**
 * The only module that speaks HTTP to the Region Service. It owns the keep-alive pool, the
 * timeout, the mapping of statuses to the error catalogue and validation of every payload
 * against the OpenAPI contract.
 */
export class RegionApiClient {
  readonly #options: RegionApiClientOptions
  readonly #origin: string
  readonly #basePath: string
  readonly #dispatcher: Dispatcher
  readonly #validators: ContractValidators

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
  }

  forCaller(caller: CallerIdentity): CallerRegionApi {
    return {
      listImages: (req) => this.#listImages(caller, req),
      listRegions: (organizationId) => this.#listRegions(caller, organizationId),
    }
  }

  async close(): Promise<void> {
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

  async #listImages(caller: CallerIdentity, req: ListImagesRequest): Promise<UpstreamImage[]> {
    assertUuid(req.regionId, 'region')
    const query = new URLSearchParams()
    for (const organizationId of req.organizationIds) query.append('organizationID', organizationId)
    if (req.scope !== undefined && req.organizationIds.length > 0) query.set('scope', req.scope)
    for (const state of req.status ?? []) query.append('status', state)
    const search = query.size > 0 ? `?${query}` : ''
    const target: CallTarget = {
      operation: 'listImages',
      path: `/api/v2/regions/${encodeURIComponent(req.regionId)}/images${search}`,
      pathTemplate: '/api/v2/regions/{regionID}/images',
      regionId: req.regionId,
      subject: `region ${req.regionId}`,
    }
    const body = await this.#get(caller, target)
    if (!this.#validators.images(body))
      throw invalidResponse(target, describeViolation(this.#validators.images.errors))
    return body
  }

  async #listRegions(caller: CallerIdentity, organizationId: string): Promise<UpstreamRegion[]> {
    assertUuid(organizationId, 'organization')
    const target: CallTarget = {
      operation: 'listRegions',
      path: `/api/v1/organizations/${encodeURIComponent(organizationId)}/regions`,
      pathTemplate: '/api/v1/organizations/{organizationID}/regions',
      subject: `the region list of organization ${organizationId}`,
    }
    const body = await this.#get(caller, target)
    if (!this.#validators.regions(body)) {
      throw invalidResponse(target, describeViolation(this.#validators.regions.errors))
    }
    return body
  }

  async #get(caller: CallerIdentity, target: CallTarget): Promise<unknown> {
    const started = performance.now()
    let status: number | undefined
    let failure: GatewayError | undefined
    const observed = this.#options.observer?.callStarted({
      operation: target.operation,
      regionId: target.regionId,
      method: 'GET',
      pathTemplate: target.pathTemplate,
      requestId: caller.requestId,
    })
    try {
      const response = await request(`${this.#origin}${this.#basePath}${target.path}`, {
        method: 'GET',
        dispatcher: this.#dispatcher,
        headers: {
          ...extraHeaders(observed?.headers),
          authorization: caller.authorization,
          accept: 'application/json',
          'x-request-id': caller.requestId,
        },
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      })
      status = response.statusCode
      if (status >= 200 && status < 300) return await this.#readJson(response.body, target)
      throw await this.#statusError(response.body, status, target)
    } catch (error) {
      failure = this.#transportError(error, target)
      throw failure
    } finally {
      const durationMs = Math.round((performance.now() - started) * 10) / 10
      const record: UpstreamCallRecord = {
        operation: target.operation,
        regionId: target.regionId,
        status,
        durationMs,
        code: failure?.code,
      }
      caller.onCall?.(record)
      observed?.finished({ ...record, upstreamTraceId: failure?.traceId })
      const fields = { upstream: record, traceId: failure?.traceId }
      if (failure && failure.code !== 'NOT_FOUND') caller.log.warn(fields, 'upstream call failed')
      else caller.log.info(fields, 'upstream call')
    }
  }

  async #readJson(body: Dispatcher.ResponseData['body'], target: CallTarget): Promise<unknown> {
    const text = await readBounded(body, this.#options.maxBodyBytes)
    if (text === undefined) {
      throw invalidResponse(target, `the answer is larger than ${this.#options.maxBodyBytes} bytes`)
    }
    try {
      return JSON.parse(text)
    } catch {
      throw invalidResponse(target, 'the answer is not JSON')
    }
  }

  async #statusError(body: Dispatcher.ResponseData['body'], status: number, target: CallTarget) {
    let traceId: string | undefined
    let description: string | undefined
    const text = await readBounded(body, ERROR_BODY_LIMIT).catch(() => undefined)
    if (text !== undefined) {
      try {
        const parsed: unknown = JSON.parse(text)
        if (this.#validators.error(parsed)) {
          traceId = parsed.trace_id
          description = parsed.error_description
        }
      } catch {
        // A non-JSON error body still maps by status; its text is never echoed.
      }
    }
    const code = codeForUpstreamStatus(status)
    const reason = description ? `: ${printable(description)}` : ''
    return new GatewayError(
      code,
      `${MESSAGES[code] ?? 'The Region Service failed'} for ${target.subject} (HTTP ${status})${reason}`,
      {
        status,
        traceId: traceId ? printable(traceId) : undefined,
        regionId: target.regionId,
      },
    )
  }

  #transportError(error: unknown, target: CallTarget): GatewayError {
    if (error instanceof GatewayError) return error
    const regionId = target.regionId
    if (isTimeout(error)) {
      return new GatewayError(
        'UPSTREAM_TIMEOUT',
        `The Region Service did not answer for ${target.subject} within ${this.#options.timeoutMs} ms`,
        { regionId },
      )
    }
    return new GatewayError(
      'UPSTREAM_UNAVAILABLE',
      `The Region Service could not be reached for ${target.subject}`,
      {
        regionId,
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

const RESERVED_HEADERS = new Set(['authorization', 'accept', 'x-request-id', 'host', 'cookie'])

/** Observer-supplied headers, minus any that could change who calls or what is asked. */
function extraHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (!headers) return {}
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())),
  )
}

function assertUuid(value: string, what: string): void {
  // Resolvers validate first; this guards the URL path against anything that slipped through.
  if (!UUID.test(value)) throw new GatewayError('BAD_USER_INPUT', `The ${what} id must be a UUID.`)
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

/** Keeps messages one line of printable text and bounded, whatever the upstream sent. */
function printable(text: string): string {
  const flattened = text.replace(/[^\x20-\x7e]+/g, ' ').trim()
  return flattened.length > 200 ? `${flattened.slice(0, 200)}...` : flattened
}

/** Reads a body as UTF-8 up to `limit` bytes; undefined (and the stream discarded) past that. */
async function readBounded(
  body: Dispatcher.ResponseData['body'],
  limit: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > limit) {
      body.destroy()
      return undefined
    }
    chunks.push(buffer)
  }
  return chunks.length === 1
    ? (chunks[0] as Buffer).toString('utf8')
    : Buffer.concat(chunks, size).toString('utf8')
}
