import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { test } from 'vitest'
import {
  type Config,
  type HttpServerConfig,
  loadConfig,
  type ResilienceConfig,
  type SecurityConfig,
} from '../../src/config.js'
import type { RegionServiceData } from '../../src/demo/region-service.js'
import { createHttpServer } from '../../src/http-server.js'
import { createLogger } from '../../src/logger.js'
import type { Readiness } from '../../src/readiness.js'
import { createGateway, type Gateway, type GatewayRuntime } from '../../src/server.js'
import { type FakeUpstreamOptions, type RunningFakeUpstream, startFakeUpstream } from './fake-upstream.js'

export const TOKEN = 'test-token-3c1f9a0e'

const testDefaults = loadConfig({ NODE_ENV: 'test', REGION_API_URL: 'http://127.0.0.1:1' })

/**
 * The configured defaults, except that a region's circuit never opens: functional tests hit
 * failing regions many times on purpose. Resilience tests set their own thresholds.
 */
export const TEST_RESILIENCE: ResilienceConfig = {
  ...testDefaults.resilience,
  breakerFailureThreshold: 1000,
}

/** The defaults for NODE_ENV=test: suggestions off, GraphiQL and introspection on, no CORS. */
export const TEST_SECURITY: SecurityConfig = testDefaults.security

/** The configured HTTP server limits; limit tests override some. */
export const TEST_HTTP: HttpServerConfig = testDefaults.http

/** The gateway's Config in tests: the defaults, with a shorter upstream timeout and pool. */
export const TEST_CONFIG: Config = {
  ...testDefaults,
  upstreamTimeoutMs: 2000,
  upstreamConnections: 32,
  resilience: TEST_RESILIENCE,
}

/** Log lines captured from the gateway's pino logger, as raw JSON text and parsed. */
export class LogCapture extends Writable {
  readonly lines: string[] = []

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    callback()
  }

  get records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  }
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number
  readonly headers: Headers
  readonly body: {
    data?: T | null
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[]
  }
}

export interface RunningGateway {
  readonly url: string
  readonly logs: LogCapture
  /** The gateway object itself (metrics, readiness check). */
  readonly gateway: Gateway
  readonly readiness: Readiness
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string | null; authorization?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<T>>
  close(): Promise<void>
}

/** What a test may set: any part of the Config, and of the runtime besides the upstream's URL. */
export type GatewayOptions = Partial<Config> & {
  readonly runtime?: Partial<Omit<GatewayRuntime, 'regionApiUrl'>>
}

/** Starts the real gateway on loopback (port 0) in front of the given upstream URL. */
export async function startGateway(
  regionApiUrl: string,
  { runtime, ...overrides }: GatewayOptions = {},
  http: Partial<HttpServerConfig> = {},
): Promise<RunningGateway> {
  const logs = new LogCapture()
  const logger = createLogger({ level: 'debug', destination: logs })
  const gateway = createGateway(
    { ...TEST_CONFIG, ...overrides },
    { regionApiUrl, demoMode: false, ...runtime },
    logger,
  )
  const server: Server = createHttpServer(gateway.yoga, { ...TEST_HTTP, ...http }, logger)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    logs,
    gateway,
    readiness: gateway.readiness,
    async query(query, variables, options = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
      if (options.authorization !== undefined) headers.authorization = options.authorization
      else if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      })
      return { status: response.status, headers: response.headers, body: (await response.json()) as never }
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await gateway.close()
    },
  }
}

/** A loopback port nothing listens on (it was free a moment ago): for refused connections and child servers. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The fake upstream and the gateway in front of it, as test fixtures. */
export interface GatewayFixtures {
  readonly upstream: RunningFakeUpstream
  readonly gateway: RunningGateway
}

/**
 * A `test` whose tests get a fake upstream with `data` and a gateway in front of it, started
 * once for the file and stopped after it; each test sees only the requests and log lines it
 * caused.
 */
export function gatewayTest(
  data: RegionServiceData,
  upstreamOptions: FakeUpstreamOptions = {},
  settings: GatewayOptions = {},
) {
  return test.extend<{ $file: GatewayFixtures; $test: { fresh: undefined } }>({
    upstream: [
      // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
      async ({}, use) => {
        const upstream = await startFakeUpstream(data, upstreamOptions)
        await use(upstream)
        await upstream.close()
      },
      { scope: 'file' },
    ],
    gateway: [
      async ({ upstream }, use) => {
        const gateway = await startGateway(upstream.url, settings)
        await use(gateway)
        await gateway.close()
      },
      { scope: 'file' },
    ],
    fresh: [
      async ({ upstream, gateway }, use) => {
        upstream.requests.length = 0
        gateway.logs.lines.length = 0
        await use(undefined)
      },
      { auto: true },
    ],
  })
}
