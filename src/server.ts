import { readdirSync, readFileSync } from 'node:fs'
import { renderGraphiQL } from '@graphql-yoga/render-graphiql'
import { createSchema, createYoga, maskError, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga'
import type { ResilienceConfig, SecurityConfig } from './config.js'
import { createContextFactory, type GatewayContext } from './context.js'
import { isDeliberateError } from './errors.js'
import type { Logger } from './logger.js'
import { corsOptions, useBrowserCsrfPrevention, useVaryOnOrigin } from './plugins/browser-security.js'
import { useQueryLimits } from './plugins/query-limits.js'
import { useRequestLog } from './plugins/request-log.js'
import { Readiness } from './readiness.js'
import { resolvers } from './resolvers/index.js'
import { RegionApiClient } from './upstream/client.js'

const SCHEMA_DIR = new URL('../schema/', import.meta.url)
const PACKAGE_JSON = new URL('../package.json', import.meta.url)

export const GRAPHQL_ENDPOINT = '/graphql'
export const READINESS_ENDPOINT = '/readyz'

export interface GatewaySettings {
  readonly regionApiUrl: string
  readonly demoMode: boolean
  readonly upstreamTimeoutMs: number
  readonly upstreamMaxBodyBytes: number
  readonly upstreamConnections: number
  readonly maxRegionsPerQuery: number
  /** Deadline, retries, concurrency caps and circuit breaker of upstream calls. */
  readonly resilience: ResilienceConfig
  /** Query limits, CORS, GraphiQL, introspection, field suggestions, body size. */
  readonly security: SecurityConfig
  /** Bearer token prefilled in GraphiQL (demo mode only). */
  readonly graphiqlToken?: string | undefined
}

export interface Gateway {
  readonly yoga: YogaServerInstance<object, GatewayContext>
  /** GET /readyz answers 200 while ready, 503 once shutdown has begun. */
  readonly readiness: Readiness
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

const EXAMPLE_QUERY = `# Images of the demo regions, merged, with what happened per region.
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
export function createGateway(settings: GatewaySettings, logger: Logger): Gateway {
  const regionApi = new RegionApiClient({
    baseUrl: settings.regionApiUrl,
    timeoutMs: settings.upstreamTimeoutMs,
    maxBodyBytes: settings.upstreamMaxBodyBytes,
    connections: settings.upstreamConnections,
    resilience: settings.resilience,
    logger,
  })
  const readiness = new Readiness()
  const { security } = settings
  const yogaLog = logger.child({ component: 'yoga' })
  const yoga = createYoga<object, GatewayContext>({
    schema: createSchema<GatewayContext>({ typeDefs: loadTypeDefs(), resolvers }),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    maxRequestBodySize: security.maxRequestBodyBytes,
    cors: corsOptions(security.corsOrigins),
    maskedErrors: {
      maskError: (error, message, isDev) =>
        isDeliberateError(error) ? (error as Error) : maskError(error, message, isDev),
    },
    context: createContextFactory({
      regionApi,
      logger,
      limits: { maxRegionsPerQuery: settings.maxRegionsPerQuery },
      gateway: { version: gatewayVersion(), demoMode: settings.demoMode },
    }),
    logging: {
      debug: (...args) => yogaLog.debug({ args }, 'yoga'),
      info: (...args) => yogaLog.info({ args }, 'yoga'),
      warn: (...args) => yogaLog.warn({ args }, 'yoga'),
      error: (...args) => yogaLog.error({ err: args.find((arg) => arg instanceof Error) }, 'yoga error'),
    },
    graphiql: security.graphiql && {
      title: 'Images gateway',
      defaultQuery: EXAMPLE_QUERY,
      headers: JSON.stringify(
        settings.graphiqlToken
          ? { Authorization: `Bearer ${settings.graphiqlToken}` }
          : { Authorization: 'Bearer ' },
      ),
      shouldPersistHeaders: false,
    },
    renderGraphiQL,
    plugins: [
      useRequestLog(logger),
      useReadinessCheck({ endpoint: READINESS_ENDPOINT, check: () => readiness.ready }),
      useBrowserCsrfPrevention(),
      ...(security.corsOrigins === '*' || security.corsOrigins.length > 0 ? [useVaryOnOrigin()] : []),
      ...useQueryLimits(security, settings.maxRegionsPerQuery),
    ],
  })
  return {
    yoga,
    readiness,
    close: () => regionApi.close(),
  }
}
