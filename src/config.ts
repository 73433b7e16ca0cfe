import {
  type CorsOrigins,
  checkedEnvironment,
  type Environment,
  type LOG_LEVELS,
  type OTLP_PROTOCOLS,
  SECRET_SETTINGS,
  type TRACE_SAMPLERS,
} from './environment.js'

export { type CorsOrigins, ENVIRONMENT_VARIABLES } from './environment.js'

/** How upstream calls are bounded: deadline, retries, concurrency, circuit breaker. */
export interface ResilienceConfig {
  /** Budget of all upstream work of one GraphQL operation, queueing and retries included. */
  readonly operationDeadlineMs: number
  /** Extra attempts for GETs failing with a connection error or 502/503/504. */
  readonly retries: number
  readonly retryBaseDelayMs: number
  /** Longest wait before a retry; a longer Retry-After means no retry. */
  readonly retryMaxDelayMs: number
  /** Upstream calls in flight at once, over all operations. */
  readonly maxConcurrency: number
  /** Upstream calls in flight at once for one operation. */
  readonly maxConcurrencyPerOperation: number
  /** Consecutive failures (timeouts, connection errors, 5xx) that open a circuit. */
  readonly breakerFailureThreshold: number
  /** Distinct callers among those failures it takes to open a region's circuit for everyone. */
  readonly breakerMinCallers: number
  /** How long an open circuit fails fast before one probe call is let through. */
  readonly breakerCooldownMs: number
}

/** What the gateway accepts from clients and browsers. */
export interface SecurityConfig {
  readonly maxDepth: number
  readonly maxAliases: number
  readonly maxTokens: number
  readonly maxDirectives: number
  /** Most images an operation may return: regions x page size (+1 per region read), summed. */
  readonly maxCost: number
  readonly maxRequestBodyBytes: number
  readonly corsOrigins: CorsOrigins
  readonly graphiql: boolean
  readonly introspection: boolean
  /** "Did you mean ...?" in validation errors; development only. */
  readonly fieldSuggestions: boolean
}

export interface ShutdownConfig {
  /** How long requests may take to finish once the listener is closed (the settle included). */
  readonly graceMs: number
  /** How long /readyz answers 503 before the listener closes (SIGTERM only). */
  readonly delayMs: number
  /**
   * How long idle keep-alive connections stay open once the listener is closed, so a request a
   * client is already sending on one is answered (with `Connection: close`) instead of reset.
   */
  readonly idleSettleMs: number
}

/** Limits of the gateway's HTTP server (see http-server.ts). */
export interface HttpServerConfig {
  /** Time to receive a request's head, from the connection's start for its first one; then 408. */
  readonly headersTimeoutMs: number
  /** Time to receive a whole request, body included; then 408. */
  readonly requestTimeoutMs: number
  /** How long a connection may stay idle between requests. */
  readonly keepAliveTimeoutMs: number
  /** Open connections at most; a connection beyond it is closed as soon as it is accepted. */
  readonly maxConnections: number
  /** How often the headers and request timeouts are checked (the bound on how late they act). */
  readonly connectionsCheckingIntervalMs: number
}

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test'
  readonly port: number
  readonly host: string
  /** Base URL of the Region Service; undefined means demo mode (embedded region service). */
  readonly regionApiUrl: string | undefined
  readonly logLevel: (typeof LOG_LEVELS)[number]
  readonly logPretty: boolean
  readonly upstreamTimeoutMs: number
  /** Largest answer of one upstream call. */
  readonly upstreamMaxBodyBytes: number
  /** Bytes of upstream answers being read at once, over all calls. */
  readonly upstreamBufferBytes: number
  readonly upstreamConnections: number
  /** Memory of byte-identical answers parsed once and shared; 0 = off. */
  readonly upstreamAnswerMemoBytes: number
  /** Memory of parsed and compiled GraphQL documents kept for reuse; 0 = none kept. */
  readonly documentCacheBytes: number
  /** Distinct upstream calls one GraphQL operation may make. */
  readonly maxUpstreamCallsPerOperation: number
  readonly maxRegionsPerQuery: number
  readonly demoPort: number
  readonly persistedDocumentsOnly: boolean
  /** 0 = no response cache; concurrent identical upstream calls are coalesced regardless. */
  readonly cacheTtlMs: number
  /** Memory of the in-process response cache (not used with Redis). */
  readonly cacheMaxBytes: number
  /**
   * Secret of the keyed hash that names a caller in cache keys; required with Redis, random
   * per process otherwise.
   */
  readonly cacheKeySecret: string | undefined
  /** With a TTL: share cached answers between replicas through Redis instead of memory. */
  readonly redisUrl: string | undefined
  /** Interface of the demo region service (embedded, or standalone via demo/main.ts). */
  readonly demoHost: string
  /** Whether readiness also requires the Region Service to answer (see upstream/readiness.ts). */
  readonly readinessUpstreamCheck: boolean
  /** OpenTelemetry tracing; undefined means off (no SDK started). */
  readonly tracing: TracingConfig | undefined
  readonly resilience: ResilienceConfig
  readonly security: SecurityConfig
  readonly http: HttpServerConfig
  readonly shutdown: ShutdownConfig
}

export interface TracingConfig {
  readonly exporter: 'otlp' | 'console'
  /** Full URL spans are posted to (OTLP over HTTP). */
  readonly endpoint: string
  readonly protocol: (typeof OTLP_PROTOCOLS)[number]
  /** Extra headers for the collector, e.g. an API key; never logged. */
  readonly headers: Readonly<Record<string, string>>
  readonly serviceName: string
  readonly resourceAttributes: Readonly<Record<string, string>>
  readonly sampler: (typeof TRACE_SAMPLERS)[number]
  /** Ratio for the traceidratio samplers. */
  readonly samplerRatio: number
}

/**
 * Node checks the timeouts only this often (its default is 30 s), so a connection that never
 * sends a request would otherwise hold its file descriptor up to that much past the timeout.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** For entry points: the configuration, or every problem on stderr and exit code 1. */
export function loadConfigOrExit(role: 'gateway' | 'demo-region-service' = 'gateway'): Config {
  try {
    // The standalone demo region service is the demo: it has no upstream to require.
    return loadConfig(
      role === 'gateway' ? process.env : { ...process.env, REGION_API_URL: '', DEMO_MODE: 'true' },
    )
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}

/** The only reader of process.env: validates every setting and reports all problems at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most container runtimes' env files.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = checkedEnvironment.safeParse(present)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.')
        const value = present[name]
        // Only echo values that cannot be secrets.
        const shown =
          value === undefined || SECRET_SETTINGS.has(name) || name.endsWith('_URL') ? '' : ` (got "${value}")`
        return `${name}: ${issue.message}${shown}`
      }),
    )
  }
  const e = parsed.data
  const nodeEnv = e.NODE_ENV ?? 'development'
  const demoMode = e.REGION_API_URL === undefined
  // Tools for people exploring the API are on in demo mode and outside production.
  const exploring = demoMode || nodeEnv !== 'production'
  return {
    nodeEnv,
    port: e.PORT,
    host: e.HOST,
    regionApiUrl: e.REGION_API_URL,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    upstreamMaxBodyBytes: e.UPSTREAM_MAX_BODY_BYTES,
    upstreamBufferBytes: e.UPSTREAM_BUFFER_BYTES,
    upstreamConnections: e.UPSTREAM_CONNECTIONS,
    upstreamAnswerMemoBytes: e.UPSTREAM_ANSWER_MEMO_BYTES,
    documentCacheBytes: e.DOCUMENT_CACHE_BYTES,
    maxUpstreamCallsPerOperation: e.MAX_UPSTREAM_CALLS_PER_OPERATION,
    maxRegionsPerQuery: e.MAX_REGIONS_PER_QUERY,
    demoPort: e.DEMO_PORT,
    persistedDocumentsOnly: e.PERSISTED_DOCUMENTS_ONLY,
    cacheTtlMs: e.CACHE_TTL_MS,
    cacheMaxBytes: e.CACHE_MAX_BYTES,
    cacheKeySecret: e.CACHE_KEY_SECRET,
    redisUrl: e.REDIS_URL,
    demoHost: e.DEMO_HOST,
    readinessUpstreamCheck: e.READINESS_UPSTREAM_CHECK,
    tracing: tracingConfig(e),
    resilience: {
      operationDeadlineMs: e.OPERATION_DEADLINE_MS,
      retries: e.UPSTREAM_RETRIES,
      retryBaseDelayMs: e.UPSTREAM_RETRY_BASE_MS,
      retryMaxDelayMs: e.UPSTREAM_RETRY_MAX_DELAY_MS,
      maxConcurrency: e.UPSTREAM_MAX_CONCURRENCY,
      maxConcurrencyPerOperation: e.UPSTREAM_MAX_CONCURRENCY_PER_OPERATION,
      breakerFailureThreshold: e.UPSTREAM_BREAKER_THRESHOLD,
      breakerCooldownMs: e.UPSTREAM_BREAKER_COOLDOWN_MS,
      breakerMinCallers: e.UPSTREAM_BREAKER_MIN_CALLERS,
    },
    security: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_QUERY_ALIASES,
      maxTokens: e.MAX_QUERY_TOKENS,
      maxDirectives: e.MAX_QUERY_DIRECTIVES,
      maxCost: e.MAX_QUERY_COST,
      maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
      corsOrigins: e.CORS_ORIGINS ?? (demoMode ? '*' : []),
      graphiql: e.GRAPHIQL ?? exploring,
      introspection: e.INTROSPECTION ?? exploring,
      fieldSuggestions: nodeEnv === 'development',
    },
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      connectionsCheckingIntervalMs: Math.min(CONNECTIONS_CHECKING_INTERVAL_MS, e.HTTP_HEADERS_TIMEOUT_MS),
    },
    shutdown: {
      graceMs: e.SHUTDOWN_GRACE_MS,
      delayMs: e.SHUTDOWN_DELAY_MS,
      idleSettleMs: e.SHUTDOWN_IDLE_SETTLE_MS,
    },
  }
}

const DEFAULT_OTLP_BASE = 'http://localhost:4318'

/**
 * Tracing is on when an exporter is asked for: OTEL_TRACES_EXPORTER set to otlp or console, or
 * an OTLP endpoint given. OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off.
 */
function tracingConfig(e: Environment): TracingConfig | undefined {
  if (e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === 'none') return undefined
  const endpointGiven =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined || e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined
  if (e.OTEL_TRACES_EXPORTER === undefined && !endpointGiven) return undefined
  return {
    exporter: e.OTEL_TRACES_EXPORTER ?? 'otlp',
    // The signal-specific endpoint is used as given; the generic one is a base URL.
    endpoint:
      e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      `${e.OTEL_EXPORTER_OTLP_ENDPOINT ?? DEFAULT_OTLP_BASE}/v1/traces`,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: e.OTEL_SERVICE_NAME ?? e.OTEL_RESOURCE_ATTRIBUTES?.['service.name'] ?? 'images-gateway',
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
    sampler: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
  }
}
