import { createHmac, randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { RegionImagesSource } from './cache/region-images-source.js'
import { type GatewayError, unauthenticated } from './errors.js'
import { createLoaders, type Loaders } from './loaders.js'
import type { Logger } from './logger.js'
import type { CallerRegionApi } from './upstream/api.js'
import type { RegionApiClient } from './upstream/client.js'
import type { UpstreamCallRecord } from './upstream/observer.js'

/** What every resolver gets: one per GraphQL request, never shared between callers. */
export interface GatewayContext {
  readonly requestId: string
  readonly log: Logger
  readonly loaders: Loaders
  readonly limits: GatewayLimits
  readonly gateway: { readonly version: string; readonly demoMode: boolean }
}

export interface GatewayLimits {
  readonly maxRegionsPerQuery: number
  readonly maxUpstreamCallsPerOperation: number
}

/** Per-request bookkeeping shared by the context and the request log line. */
export interface RequestState {
  readonly requestId: string
  readonly log: Logger
  readonly startedAt: number
  upstreamCalls: number
  upstreamFailures: number
  operationName: string | undefined
}

const BEARER = /^Bearer +([\x21-\x7e]+)$/i
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const states = new WeakMap<Request, RequestState>()

/** The request's id and child logger; made on first use and shared by everything for this request. */
export function requestState(request: Request, root: Logger): RequestState {
  let state = states.get(request)
  if (!state) {
    const offered = request.headers.get('x-request-id')
    const requestId = offered && REQUEST_ID.test(offered) ? offered : randomUUID()
    state = {
      requestId,
      log: root.child({ requestId }),
      startedAt: performance.now(),
      upstreamCalls: 0,
      upstreamFailures: 0,
      operationName: undefined,
    }
    states.set(request, state)
  }
  return state
}

export interface ContextDependencies {
  readonly regionApi: RegionApiClient
  /** Process-wide coalescing (and optional caching) of image lists, keyed by token hash. */
  readonly regionImages: RegionImagesSource
  readonly logger: Logger
  readonly limits: GatewayLimits
  readonly gateway: GatewayContext['gateway']
  /** Key of the hash that names a caller (cache keys, circuits) without its credential. */
  readonly callerKeySecret: string | Buffer
}

/**
 * The one place that reads the caller's headers. The Authorization header goes into the
 * caller's upstream view and nowhere else: not into the context, logs or loader keys.
 */
export function createContextFactory(deps: ContextDependencies) {
  return ({ request }: { request: Request }): GatewayContext => {
    const state = requestState(request, deps.logger)
    const header = request.headers.get('authorization')
    // One spelling per token: "bearer  t" and "Bearer t" are the same caller, not two.
    const token = header === null ? undefined : BEARER.exec(header)?.[1]
    const authorization = token === undefined ? undefined : `Bearer ${token}`
    const callerKey = authorization === undefined ? undefined : keyedHash(deps.callerKeySecret, authorization)
    const upstream =
      callerKey !== undefined && authorization !== undefined
        ? callerUpstream(deps.regionApi, authorization, callerKey, state)
        : rejectingUpstream(
            unauthenticated(header ? 'The Authorization header must be "Bearer <token>".' : undefined),
          )
    const shared = callerKey !== undefined ? { source: deps.regionImages, callerHash: callerKey } : undefined
    return {
      requestId: state.requestId,
      log: state.log,
      loaders: createLoaders(upstream, {
        shared,
        signal: clientGone(request),
        maxUpstreamCalls: deps.limits.maxUpstreamCallsPerOperation,
      }),
      limits: deps.limits,
      gateway: deps.gateway,
    }
  }
}

/**
 * Aborts when the client goes away before its response is sent. The server adapter's request
 * signal may be its own EventTarget rather than an AbortSignal; this one is native, so it can
 * be combined with timeouts and handed to undici.
 */
function clientGone(request: Request): AbortSignal | undefined {
  const source = request.signal as AbortSignal | undefined
  if (!source) return undefined
  const controller = new AbortController()
  // Every region of a fan-out listens to it (up to MAX_REGIONS_PER_QUERY), which is not a leak.
  setMaxListeners(0, controller.signal)
  if (source.aborted) controller.abort()
  else source.addEventListener('abort', () => controller.abort(), { once: true })
  return controller.signal
}

/**
 * Where a key must tell callers apart, the credential appears only as this hash. Keyed, so
 * nobody who can read the keys (a shared Redis) can test a token against them.
 */
function keyedHash(secret: string | Buffer, authorization: string): string {
  return createHmac('sha256', secret).update(authorization).digest('base64url')
}

function callerUpstream(
  regionApi: RegionApiClient,
  authorization: string,
  callerKey: string,
  state: RequestState,
): CallerRegionApi {
  return regionApi.forCaller({
    authorization,
    callerKey,
    requestId: state.requestId,
    log: state.log,
    onCall: (call: UpstreamCallRecord) => {
      state.upstreamCalls++
      if (call.failure !== undefined) state.upstreamFailures++
    },
  })
}

/** Stands in for the upstream when the caller cannot be forwarded: fails every call, sends nothing. */
function rejectingUpstream(error: GatewayError): CallerRegionApi {
  return {
    listImages: () => Promise.reject(error),
    listRegions: () => Promise.reject(error),
  }
}
