import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const MiB = 1024 * 1024

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((value) => value === 'true' || value === '1' || value === 'yes')

const httpUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
  .refine((value) => {
    const url = new URL(value)
    return url.username === '' && url.password === '' && url.search === '' && url.hash === ''
  }, 'must not contain credentials, a query or a fragment')
  .transform((value) => value.replace(/\/+$/, ''))

/** `key=value,key=value` as the OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES variables spell it. */
const keyValueList = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const pairs: Record<string, string> = {}
    for (const item of value.split(',')) {
      if (item.trim() === '') continue
      const at = item.indexOf('=')
      const key = at > 0 ? item.slice(0, at).trim() : ''
      if (key === '') {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of key=value' })
        return z.NEVER
      }
      try {
        pairs[decodeURIComponent(key)] = decodeURIComponent(item.slice(at + 1).trim())
      } catch {
        ctx.addIssue({ code: 'custom', message: 'has a badly percent-encoded key or value' })
        return z.NEVER
      }
    }
    return pairs
  })

const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const
const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const

/** Settings whose values may be secret (credentials in URLs, exporter API keys): never echoed. */
const SECRET_SETTINGS = new Set([
  'REGION_API_URL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_RESOURCE_ATTRIBUTES',
  'CACHE_KEY_SECRET',
])
/** `*` or a comma-separated list of origins (`scheme://host[:port]`, nothing after). */
const corsOrigins = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .refine(
    (origins) => origins.every((origin) => origin === '*' || isOrigin(origin)),
    'must be * or a comma-separated list of origins such as https://console.example.com',
  )
  .transform((origins): CorsOrigins => (origins.includes('*') ? '*' : origins))

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value)
    return /^https?:$/.test(url.protocol) && url.origin === value
  } catch {
    return false
  }
}

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  PORT: integer(0, 65_535).default(4000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  REGION_API_URL: httpUrl.optional(),
  DEMO_MODE: bool.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: bool.default(false),
  UPSTREAM_TIMEOUT_MS: integer(1, 600_000).default(5000),
  // The largest real region answers ~9 MB (20,000 images).
  UPSTREAM_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024).default(16 * MiB),
  UPSTREAM_BUFFER_BYTES: integer(1024, 16 * 1024 * MiB).default(32 * MiB),
  UPSTREAM_CONNECTIONS: integer(1, 4096).default(256),
  UPSTREAM_ANSWER_MEMO_BYTES: integer(0, 16 * 1024 * MiB).default(32 * MiB),
  DOCUMENT_CACHE_BYTES: integer(0, 16 * 1024 * MiB).default(32 * MiB),
  HEAP_GROWTH_PERCENT: integer(0, 1000).default(60),
  MAX_REGIONS_PER_QUERY: integer(1, 1000).default(50),
  DEMO_PORT: integer(0, 65_535).default(0),
  PERSISTED_DOCUMENTS_ONLY: bool.default(false),
  // At most 5 minutes: a cached answer outlives a revoked token by up to this long.
  CACHE_TTL_MS: integer(0, 300_000).default(0),
  CACHE_MAX_BYTES: integer(1024, 16 * 1024 * MiB).default(64 * MiB),
  // Replaced by CACHE_MAX_BYTES; named here only to refuse it with a pointer to its successor.
  CACHE_MAX_IMAGES: z.string().optional(),
  CACHE_KEY_SECRET: z.string().trim().min(32, 'must be at least 32 characters').optional(),
  REDIS_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }))
    .optional(),
  DEMO_HOST: z.string().trim().min(1).default('127.0.0.1'),
  READINESS_UPSTREAM_CHECK: bool.default(false),
  // Standard OpenTelemetry variables (https://opentelemetry.io/docs/specs/otel/configuration/).
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
    .optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList.optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList.optional(),
  OTEL_TRACES_SAMPLER: z.enum(TRACE_SAMPLERS).optional(),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .trim()
    .transform(Number)
    .pipe(z.number().min(0, 'must be a ratio from 0 to 1').max(1, 'must be a ratio from 0 to 1'))
    .optional(),
  // Upstream resilience
  OPERATION_DEADLINE_MS: integer(1, 600_000).default(10_000),
  UPSTREAM_RETRIES: integer(0, 10).default(2),
  UPSTREAM_RETRY_BASE_MS: integer(1, 60_000).default(100),
  UPSTREAM_RETRY_MAX_DELAY_MS: integer(1, 60_000).default(1000),
  UPSTREAM_MAX_CONCURRENCY: integer(1, 10_000).default(256),
  UPSTREAM_MAX_CONCURRENCY_PER_OPERATION: integer(1, 1000).default(50),
  UPSTREAM_BREAKER_THRESHOLD: integer(1, 1000).default(5),
  UPSTREAM_BREAKER_COOLDOWN_MS: integer(1, 3_600_000).default(10_000),
  UPSTREAM_BREAKER_MIN_CALLERS: integer(1, 100).default(2),
  MAX_UPSTREAM_CALLS_PER_OPERATION: integer(1, 10_000).default(50),
  // Hostile input and browsers
  MAX_QUERY_DEPTH: integer(1, 100).default(10),
  MAX_QUERY_ALIASES: integer(0, 1000).default(20),
  MAX_QUERY_TOKENS: integer(10, 100_000).default(2000),
  MAX_QUERY_DIRECTIVES: integer(0, 1000).default(20),
  MAX_QUERY_COST: integer(1, 10_000_000).default(30_000),
  MAX_REQUEST_BODY_BYTES: integer(256, 64 * 1024 * 1024).default(100 * 1024),
  CORS_ORIGINS: corsOrigins.optional(),
  GRAPHIQL: bool.optional(),
  INTROSPECTION: bool.optional(),
  // HTTP server, sized for a place behind an ingress or load balancer; 0 (Node's "no limit") is refused
  HTTP_HEADERS_TIMEOUT_MS: integer(1, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(1, 3_600_000).default(30_000),
  // Longer than the 60 s idle timeout of common load balancers, so they close idle connections first.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(1, 3_600_000).default(65_000),
  // Below the process's open-file limit, with room for upstream connections and logs.
  HTTP_MAX_CONNECTIONS: integer(1, 1_000_000).default(10_000),
  // Shutdown
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(25_000),
  SHUTDOWN_DELAY_MS: integer(0, 600_000).default(0),
  SHUTDOWN_IDLE_SETTLE_MS: integer(0, 60_000).default(1000),
})

/** Every environment variable the gateway reads (deployment files are checked against it). */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape)

export type Environment = z.infer<typeof environmentSchema>

/** Origins browsers may call the gateway from: `*` for any, an empty list for none. */
export type CorsOrigins = '*' | readonly string[]

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
  /** How far V8 lets the heap grow past live data before collecting (0 = V8's own heuristics). */
  readonly heapGrowthPercent: number
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
  const parsed = environmentSchema
    .superRefine((e, context) => {
      if (e.OPERATION_DEADLINE_MS < e.UPSTREAM_TIMEOUT_MS) {
        context.addIssue({
          code: 'custom',
          path: ['OPERATION_DEADLINE_MS'],
          message: `must be at least UPSTREAM_TIMEOUT_MS (${e.UPSTREAM_TIMEOUT_MS})`,
        })
      }
      // Fail closed: a production process without its upstream must not quietly serve fixtures.
      if (e.REGION_API_URL === undefined && e.NODE_ENV === 'production' && e.DEMO_MODE === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['REGION_API_URL'],
          message:
            'is required when NODE_ENV=production (set DEMO_MODE=true to serve the embedded demo data instead)',
        })
      }
      if (e.REGION_API_URL === undefined && e.DEMO_MODE === false) {
        context.addIssue({
          code: 'custom',
          path: ['REGION_API_URL'],
          message: 'is required when DEMO_MODE=false',
        })
      }
      if (
        [e.UPSTREAM_BUFFER_BYTES, e.UPSTREAM_MAX_BODY_BYTES].every(Number.isInteger) &&
        e.UPSTREAM_BUFFER_BYTES < e.UPSTREAM_MAX_BODY_BYTES
      ) {
        context.addIssue({
          code: 'custom',
          path: ['UPSTREAM_BUFFER_BYTES'],
          message: `must be at least UPSTREAM_MAX_BODY_BYTES (${e.UPSTREAM_MAX_BODY_BYTES})`,
        })
      }
      if (e.CACHE_MAX_IMAGES !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['CACHE_MAX_IMAGES'],
          message: 'is no longer read: the response cache is bounded in bytes by CACHE_MAX_BYTES',
        })
      }
      // Cache keys in a shared Redis must not be computable from a token without the secret.
      if (e.REDIS_URL !== undefined && e.CACHE_KEY_SECRET === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['CACHE_KEY_SECRET'],
          message: 'is required when REDIS_URL is set (the same random value on every replica)',
        })
      }
      // zod runs this after a bad value too (e.g. "-1" left a string): relate valid values only.
      const httpTimeoutsValid = [
        e.HTTP_HEADERS_TIMEOUT_MS,
        e.HTTP_REQUEST_TIMEOUT_MS,
        e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      ].every((ms) => Number.isInteger(ms) && ms >= 1)
      // Node refuses a server whose headers timeout exceeds its request timeout.
      if (httpTimeoutsValid && e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
        context.addIssue({
          code: 'custom',
          path: ['HTTP_HEADERS_TIMEOUT_MS'],
          message: `must be at most HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS}): the head is part of the request`,
        })
      }
      if (httpTimeoutsValid && e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_KEEP_ALIVE_TIMEOUT_MS) {
        context.addIssue({
          code: 'custom',
          path: ['HTTP_HEADERS_TIMEOUT_MS'],
          message: `must be at most HTTP_KEEP_ALIVE_TIMEOUT_MS (${e.HTTP_KEEP_ALIVE_TIMEOUT_MS}): a request head that stalls on a reused connection would otherwise be cut by the keep-alive timer without a 408 answer`,
        })
      }
      if (e.REGION_API_URL !== undefined && e.DEMO_MODE === true) {
        context.addIssue({
          code: 'custom',
          path: ['DEMO_MODE'],
          message: 'cannot be true while REGION_API_URL is set',
        })
      }
    })
    .safeParse(present)
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
    heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
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
