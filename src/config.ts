import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

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

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  PORT: integer(0, 65_535).default(4000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  REGION_API_URL: httpUrl.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: bool.default(false),
  UPSTREAM_TIMEOUT_MS: integer(1, 600_000).default(5000),
  UPSTREAM_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  UPSTREAM_CONNECTIONS: integer(1, 4096).default(256),
  MAX_REGIONS_PER_QUERY: integer(1, 1000).default(50),
  DEMO_PORT: integer(0, 65_535).default(0),
  PERSISTED_DOCUMENTS_ONLY: bool.default(false),
  CACHE_TTL_MS: integer(0, 86_400_000).default(0),
  CACHE_MAX_IMAGES: integer(1, 100_000_000).default(200_000),
  REDIS_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }))
    .optional(),
})

export type Environment = z.infer<typeof environmentSchema>

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test'
  readonly port: number
  readonly host: string
  /** Base URL of the Region Service; undefined means demo mode (embedded region service). */
  readonly regionApiUrl: string | undefined
  readonly logLevel: (typeof LOG_LEVELS)[number]
  readonly logPretty: boolean
  readonly upstreamTimeoutMs: number
  readonly upstreamMaxBodyBytes: number
  readonly upstreamConnections: number
  readonly maxRegionsPerQuery: number
  readonly demoPort: number
  readonly persistedDocumentsOnly: boolean
  /** 0 = no response cache; concurrent identical upstream calls are coalesced regardless. */
  readonly cacheTtlMs: number
  readonly cacheMaxImages: number
  /** With a TTL: share cached answers between replicas through Redis instead of memory. */
  readonly redisUrl: string | undefined
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** The only reader of process.env: validates every setting and reports all problems at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most container runtimes' env files.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = environmentSchema.safeParse(present)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.')
        const value = present[name]
        // Only echo values that cannot be secrets.
        const shown = value === undefined || name.endsWith('_URL') ? '' : ` (got "${value}")`
        return `${name}: ${issue.message}${shown}`
      }),
    )
  }
  const e = parsed.data
  return {
    nodeEnv: e.NODE_ENV ?? 'development',
    port: e.PORT,
    host: e.HOST,
    regionApiUrl: e.REGION_API_URL,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    upstreamMaxBodyBytes: e.UPSTREAM_MAX_BODY_BYTES,
    upstreamConnections: e.UPSTREAM_CONNECTIONS,
    maxRegionsPerQuery: e.MAX_REGIONS_PER_QUERY,
    demoPort: e.DEMO_PORT,
    persistedDocumentsOnly: e.PERSISTED_DOCUMENTS_ONLY,
    cacheTtlMs: e.CACHE_TTL_MS,
    cacheMaxImages: e.CACHE_MAX_IMAGES,
    redisUrl: e.REDIS_URL,
  }
}
