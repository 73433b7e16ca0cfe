import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { useGraphQlJit } from '@envelop/graphql-jit'
import { createSchema, createYoga, maskError, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga'
import {
  MemoryRegionImagesStore,
  RedisRegionImagesStore,
  RegionImagesSource,
  type RegionImagesStore,
} from './cache/region-images-source.js'
import type { Config } from './config.js'
import { createContextFactory, type GatewayContext } from './context.js'
import { isDeliberateError } from './errors.js'
import type { Logger } from './logger.js'
import { GatewayMetrics } from './observability/metrics.js'
import { type GatewayTracing, tracingUpstreamObserver } from './observability/tracing.js'
import { combineUpstreamObservers } from './observability/upstream-observers.js'
import { useAcceptNegotiation } from './plugins/accept.js'
import { corsOptions, useBrowserCsrfPrevention, useVaryOnOrigin } from './plugins/browser-security.js'
import { DocumentCache } from './plugins/document-cache.js'
import { useChunkedJsonResponses } from './plugins/json-response.js'
import { useMetrics } from './plugins/metrics.js'
import { loadPersistedDocuments, usePersistedDocuments } from './plugins/persisted-documents.js'
import { useQueryLimits } from './plugins/query-limits.js'
import { useRequestBodyLimit } from './plugins/request-body-limit.js'
import { useRequestLog, yogaLogging } from './plugins/request-log.js'
import { useTracing } from './plugins/tracing.js'
import { Readiness } from './readiness.js'
import { resolvers } from './resolvers/index.js'
import { RegionApiClient } from './upstream/client.js'
import { compileContractValidators } from './upstream/contract.js'
import { type ReadinessCheck, upstreamReadinessCheck } from './upstream/readiness.js'

const SCHEMA_DIR = new URL('../schema/', import.meta.url)
const PACKAGE_JSON = new URL('../package.json', import.meta.url)

export const GRAPHQL_ENDPOINT = '/graphql'
export const HEALTH_ENDPOINT = '/healthz'
export const METRICS_ENDPOINT = '/metrics'
export const READINESS_ENDPOINT = '/readyz'

/** What a gateway runs with besides its Config: where its upstream is, and what main.ts started. */
export interface GatewayRuntime {
  /** The Region Service's base URL: the configured one, or the embedded demo service's. */
  readonly regionApiUrl: string
  readonly demoMode: boolean
  /** Bearer token prefilled in GraphiQL (demo mode only). */
  readonly graphiqlToken?: string | undefined
  /** OpenTelemetry tracing, when configured (see observability/tracing.ts); off when absent. */
  readonly tracing?: GatewayTracing | undefined
  /** Milliseconds for circuit cool-downs and cached answers' TTL; tests pass a clock they move. */
  readonly now?: (() => number) | undefined
}

export interface Gateway {
  readonly yoga: YogaServerInstance<object, GatewayContext>
  /** GET /readyz answers 200 while ready, 503 once shutdown has begun. */
  readonly readiness: Readiness
  /** This gateway's Prometheus metrics (served at METRICS_ENDPOINT). */
  readonly metrics: GatewayMetrics
  /**
   * The upstream part of readiness, for the /readyz handler; undefined unless
   * `readinessUpstreamCheck` is set.
   */
  readonly checkUpstreamReadiness: ReadinessCheck | undefined
  close(): Promise<void>
}

export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(new URL(file, SCHEMA_DIR), 'utf8'))
}

export function gatewayVersion(): string {
  return (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version
}

export const EXAMPLE_QUERY = `# Images of the demo regions, merged, with what happened per region.
# Try: query a region list with regions(organizationId: "...") and open the Docs pane.
query ReadyImages {
  images(
    regionIds: ["6f1d2a3b-0c4d-4e5f-8a9b-0c1d2e3f4a5b", "7a2e3b4c-1d5e-4f60-9b0c-1d2e3f4a5b6c"]
    status: [READY]
    first: 10
  ) {
    totalCount
    regions { regionId ok imageCount error { code message traceId } }
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      name
      regionId
      sizeGiB
      architecture
      os { distro version }
      gpu { vendor models }
      softwareVersions { name version }
    }
  }
}
`

/** Builds the yoga instance: schema from schema/, per-request context, plugins. */
export function createGateway(config: Config, runtime: GatewayRuntime, logger: Logger): Gateway {
  const version = gatewayVersion()
  const persisted = loadPersistedDocuments()
  const persistedBytes = [...persisted].reduce((sum, [id, text]) => sum + 2 * (id.length + text.length), 0)
  const metrics = new GatewayMetrics({ version })
  const { tracing, regionApiUrl } = runtime
  const regionApi = new RegionApiClient({
    baseUrl: regionApiUrl,
    timeoutMs: config.upstreamTimeoutMs,
    maxBodyBytes: config.upstreamMaxBodyBytes,
    bufferBytes: config.upstreamBufferBytes,
    connections: config.upstreamConnections,
    answerMemoBytes: config.upstreamAnswerMemoBytes,
    now: runtime.now,
    resilience: config.resilience,
    logger,
    observer: combineUpstreamObservers(
      [metrics.upstreamObserver, tracing && tracingUpstreamObserver(tracing, regionApiUrl)],
      (error) => logger.error({ err: error }, 'upstream observer failed; the call goes on without it'),
    ),
  })
  const regionImages = new RegionImagesSource({
    ttlMs: config.cacheTtlMs,
    store: createStore(config, logger, runtime.now),
  })
  const documents = new DocumentCache(config.documentCacheBytes)
  metrics.watchMemory(() => ({
    documents: { bytes: documents.bytes, maxBytes: documents.maxBytes },
    answerMemo: { bytes: regionApi.memory.answerMemoBytes, maxBytes: regionApi.memory.answerMemoLimit },
    // With Redis the response cache holds nothing in this process.
    responseCache: {
      bytes: regionImages.bytes,
      maxBytes: config.cacheTtlMs && !config.redisUrl ? config.cacheMaxBytes : 0,
    },
    upstreamBuffers: { bytes: regionApi.memory.bufferedBytes, maxBytes: regionApi.memory.bufferLimit },
    persistedDocuments: { bytes: persistedBytes, maxBytes: persistedBytes },
  }))
  const readiness = new Readiness()
  const checkUpstreamReadiness = config.readinessUpstreamCheck
    ? upstreamReadinessCheck(regionApi, { timeoutMs: Math.min(config.upstreamTimeoutMs, 2000) })
    : undefined
  const { security } = config
  const yoga = createYoga<object, GatewayContext>({
    schema: createSchema<GatewayContext>({ typeDefs: loadTypeDefs(), resolvers }),
    parserAndValidationCache: documents.yogaOptions(),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: HEALTH_ENDPOINT,
    landingPage: false,
    // Enforced by useRequestBodyLimit, which does not stream every body through a transform.
    maxRequestBodySize: false,
    cors: corsOptions(security.corsOrigins),
    maskedErrors: {
      maskError: (error, message, isDev) =>
        isDeliberateError(error) ? (error as Error) : maskError(error, message, isDev),
    },
    context: createContextFactory({
      regionApi,
      regionImages,
      logger,
      limits: {
        maxRegionsPerQuery: config.maxRegionsPerQuery,
        maxUpstreamCallsPerOperation: config.maxUpstreamCallsPerOperation,
      },
      gateway: { version, demoMode: runtime.demoMode },
      callerKeySecret: config.cacheKeySecret ?? randomBytes(32),
    }),
    logging: yogaLogging(logger),
    graphiql: security.graphiql && {
      title: 'Images gateway',
      defaultQuery: EXAMPLE_QUERY,
      headers: JSON.stringify(
        runtime.graphiqlToken
          ? { Authorization: `Bearer ${runtime.graphiqlToken}` }
          : { Authorization: 'Bearer ' },
      ),
      shouldPersistHeaders: false,
    },
    // The offline GraphiQL bundle is large in memory: load it only when the page is asked for.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    plugins: [
      // Compiles each document the parse cache keeps, once: executing the large image lists is
      // most of the gateway's CPU time. Documents too large to keep run uncompiled.
      useGraphQlJit({}, { enableIf: (args) => documents.keeps(args.document) }),
      useAcceptNegotiation(GRAPHQL_ENDPOINT),
      useChunkedJsonResponses(),
      useRequestBodyLimit(security.maxRequestBodyBytes),
      useRequestLog(logger),
      useReadinessCheck({
        endpoint: READINESS_ENDPOINT,
        // Unready first when shutting down; then, if configured, when the Region Service is unreachable.
        check: async () => readiness.ready && ((await checkUpstreamReadiness?.())?.ready ?? true),
      }),
      useBrowserCsrfPrevention(),
      ...(security.corsOrigins === '*' || security.corsOrigins.length > 0 ? [useVaryOnOrigin()] : []),
      usePersistedDocuments(persisted, config.persistedDocumentsOnly),
      ...useQueryLimits(security, config.maxRegionsPerQuery),
      useMetrics(metrics, METRICS_ENDPOINT),
      ...(tracing ? [useTracing(tracing, GRAPHQL_ENDPOINT, logger)] : []),
    ],
  })
  return {
    yoga,
    readiness,
    metrics,
    checkUpstreamReadiness,
    close: async () => {
      await regionApi.close()
      await regionImages.close()
    },
  }
}

function createStore(
  config: Config,
  logger: Logger,
  now: (() => number) | undefined,
): RegionImagesStore | undefined {
  if (!config.cacheTtlMs) return undefined
  if (config.redisUrl) {
    const log = logger.child({ component: 'response-cache' })
    // Loaded only when used: ioredis and its dependencies take heap of their own.
    const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis')
    const redis = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
      // A Redis that hangs must cost a request 100 ms at most (then: a miss), not its deadline.
      commandTimeout: 100,
    })
    redis.on('error', (error: Error) => log.warn({ err: { message: error.message } }, 'redis unavailable'))
    return new RedisRegionImagesStore(redis, log, {
      images: compileContractValidators().images,
      maxValueBytes: config.upstreamMaxBodyBytes,
    })
  }
  return new MemoryRegionImagesStore(config.cacheMaxBytes, now)
}
