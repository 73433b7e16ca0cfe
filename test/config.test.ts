import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

const UPSTREAM = { REGION_API_URL: 'https://region.example.com' }
const MiB = 1024 * 1024

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('reliability and security settings', () => {
  it('turns GraphiQL, introspection and CORS off by default in production', () => {
    const { security } = loadConfig({ ...UPSTREAM, NODE_ENV: 'production' })
    expect(security).toMatchObject({
      graphiql: false,
      introspection: false,
      fieldSuggestions: false,
      corsOrigins: [],
    })
  })

  it('turns the exploring tools on in development and demo mode; any origin only in demo mode', () => {
    expect(loadConfig(UPSTREAM).security).toMatchObject({
      graphiql: true,
      introspection: true,
      fieldSuggestions: true,
      corsOrigins: [],
    })
    expect(loadConfig({ NODE_ENV: 'production', DEMO_MODE: 'true' }).security).toMatchObject({
      graphiql: true,
      introspection: true,
      fieldSuggestions: false,
      corsOrigins: '*',
    })
  })

  it('lets every toggle be set explicitly', () => {
    const { security } = loadConfig({
      ...UPSTREAM,
      NODE_ENV: 'production',
      GRAPHIQL: 'true',
      INTROSPECTION: 'yes',
      CORS_ORIGINS: 'https://console.example.com, http://localhost:5173',
    })
    expect(security).toMatchObject({
      graphiql: true,
      introspection: true,
      corsOrigins: ['https://console.example.com', 'http://localhost:5173'],
    })
    expect(loadConfig({ GRAPHIQL: 'false', INTROSPECTION: '0' }).security).toMatchObject({
      graphiql: false,
      introspection: false,
    })
  })

  it('has documented defaults for limits, resilience and shutdown', () => {
    const config = loadConfig(UPSTREAM)
    expect(config.resilience).toEqual({
      operationDeadlineMs: 10_000,
      retries: 2,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 1000,
      maxConcurrency: 256,
      maxConcurrencyPerOperation: 50,
      breakerFailureThreshold: 5,
      breakerCooldownMs: 10_000,
      breakerMinCallers: 2,
    })
    expect(config.security).toMatchObject({
      maxDepth: 10,
      maxAliases: 20,
      maxTokens: 2000,
      maxDirectives: 20,
      maxCost: 30_000,
      maxRequestBodyBytes: 102_400,
    })
    expect(config.shutdown).toEqual({ graceMs: 25_000, delayMs: 0, idleSettleMs: 1000 })
    expect(config).toMatchObject({
      upstreamAnswerMemoBytes: 32 * MiB,
      upstreamMaxBodyBytes: 16 * MiB,
      upstreamBufferBytes: 32 * MiB,
      documentCacheBytes: 32 * MiB,
      cacheMaxBytes: 64 * MiB,
      maxUpstreamCallsPerOperation: 50,
      cacheKeySecret: undefined,
    })
  })

  it('bounds memory in bytes, and needs a key secret for a shared cache', () => {
    expect(
      problems({
        ...UPSTREAM,
        UPSTREAM_MAX_BODY_BYTES: String(128 * MiB),
        CACHE_MAX_IMAGES: '1000',
        REDIS_URL: 'redis://cache:6379',
      }),
    ).toEqual([
      expect.stringMatching(/^UPSTREAM_BUFFER_BYTES: must be at least UPSTREAM_MAX_BODY_BYTES/),
      expect.stringMatching(/^CACHE_MAX_IMAGES: is no longer read: .* CACHE_MAX_BYTES/),
      expect.stringMatching(/^CACHE_KEY_SECRET: is required when REDIS_URL is set/),
    ])
    expect(problems({ ...UPSTREAM, CACHE_KEY_SECRET: 'short' })).toEqual([
      'CACHE_KEY_SECRET: must be at least 32 characters',
    ])
  })

  it('lists every bad value at once', () => {
    expect(
      problems({
        ...UPSTREAM,
        CORS_ORIGINS: 'https://ok.example.com,https://bad.example.com/path',
        UPSTREAM_RETRIES: '-1',
        GRAPHIQL: 'maybe',
        OPERATION_DEADLINE_MS: '100',
        UPSTREAM_TIMEOUT_MS: '5000',
      }),
    ).toEqual([
      expect.stringMatching(/^UPSTREAM_RETRIES: /),
      expect.stringMatching(/^CORS_ORIGINS: must be \* or a comma-separated list of origins/),
      expect.stringMatching(/^GRAPHIQL: /),
    ])
    expect(problems({ ...UPSTREAM, OPERATION_DEADLINE_MS: '100', UPSTREAM_TIMEOUT_MS: '5000' })).toEqual([
      'OPERATION_DEADLINE_MS: must be at least UPSTREAM_TIMEOUT_MS (5000) (got "100")',
    ])
  })

  it('has HTTP server limits meant for a place behind a load balancer', () => {
    expect(loadConfig(UPSTREAM).http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 10_000,
      connectionsCheckingIntervalMs: 1000,
    })
    expect(
      loadConfig({
        ...UPSTREAM,
        HTTP_HEADERS_TIMEOUT_MS: '500',
        HTTP_REQUEST_TIMEOUT_MS: '2000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
        HTTP_MAX_CONNECTIONS: '100',
      }).http,
    ).toEqual({
      headersTimeoutMs: 500,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 100,
      connectionsCheckingIntervalMs: 500,
    })
  })

  it('lists bad HTTP server limits, and the relations between them Node needs', () => {
    expect(
      problems({
        ...UPSTREAM,
        HTTP_HEADERS_TIMEOUT_MS: '0',
        HTTP_REQUEST_TIMEOUT_MS: 'soon',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '-1',
        HTTP_MAX_CONNECTIONS: '0',
      }),
    ).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS: Too small: expected number to be >=1 (got "0")',
      'HTTP_REQUEST_TIMEOUT_MS: must be a whole number (got "soon")',
      'HTTP_KEEP_ALIVE_TIMEOUT_MS: must be a whole number (got "-1")',
      'HTTP_MAX_CONNECTIONS: Too small: expected number to be >=1 (got "0")',
    ])
    expect(problems({ ...UPSTREAM, HTTP_HEADERS_TIMEOUT_MS: '40000' })).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_REQUEST_TIMEOUT_MS (30000): the head is part of the request (got "40000")',
    ])
    expect(
      problems({
        ...UPSTREAM,
        HTTP_HEADERS_TIMEOUT_MS: '20000',
        HTTP_REQUEST_TIMEOUT_MS: '60000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
      }),
    ).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_KEEP_ALIVE_TIMEOUT_MS (5000): a request head that stalls on a reused connection would otherwise be cut by the keep-alive timer without a 408 answer (got "20000")',
    ])
  })

  it('lets the shutdown settle be set, within bounds', () => {
    expect(loadConfig({ ...UPSTREAM, SHUTDOWN_IDLE_SETTLE_MS: '0' }).shutdown.idleSettleMs).toBe(0)
    expect(problems({ ...UPSTREAM, SHUTDOWN_IDLE_SETTLE_MS: '120000' })).toEqual([
      'SHUTDOWN_IDLE_SETTLE_MS: Too big: expected number to be <=60000 (got "120000")',
    ])
    expect(problems({ ...UPSTREAM, SHUTDOWN_IDLE_SETTLE_MS: '1s' })).toEqual([
      'SHUTDOWN_IDLE_SETTLE_MS: must be a whole number (got "1s")',
    ])
  })

  it('refuses to serve demo data in production unless asked to', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'REGION_API_URL: is required when NODE_ENV=production (set DEMO_MODE=true to serve the embedded demo data instead)',
    ])
    expect(problems({ ...UPSTREAM, DEMO_MODE: 'true' })).toEqual([
      'DEMO_MODE: cannot be true while REGION_API_URL is set (got "true")',
    ])
    expect(loadConfig({ NODE_ENV: 'production', DEMO_MODE: 'true' }).regionApiUrl).toBeUndefined()
    expect(loadConfig({}).regionApiUrl).toBeUndefined()
    expect(problems({ DEMO_MODE: 'false' })).toEqual(['REGION_API_URL: is required when DEMO_MODE=false'])
    expect(problems({ NODE_ENV: 'production', DEMO_MODE: 'false' })).toEqual([
      'REGION_API_URL: is required when DEMO_MODE=false',
    ])
  })
})
