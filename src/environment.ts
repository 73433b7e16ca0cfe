import { z } from 'zod'

// The environment variables the gateway reads: their types, ranges and defaults, and the rules
// between them. config.ts turns a checked environment into the Config the code uses.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
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

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const

/** Settings whose values may be secret (credentials in URLs, exporter API keys): never echoed. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
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
  // Room for the largest real region's answer, with headroom (docs/configuration.md).
  UPSTREAM_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024).default(16 * MiB),
  UPSTREAM_BUFFER_BYTES: integer(1024, 16 * 1024 * MiB).default(32 * MiB),
  UPSTREAM_CONNECTIONS: integer(1, 4096).default(256),
  UPSTREAM_ANSWER_MEMO_BYTES: integer(0, 16 * 1024 * MiB).default(32 * MiB),
  DOCUMENT_CACHE_BYTES: integer(0, 16 * 1024 * MiB).default(32 * MiB),
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

/** Rules between variables. zod runs them even after a value failed its own check. */
function checkRelations(e: Environment, context: z.RefinementCtx): void {
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
}

/** The schema with the rules between variables: `safeParse` lists every problem at once. */
export const checkedEnvironment = environmentSchema.superRefine(checkRelations)
