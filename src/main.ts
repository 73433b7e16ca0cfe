import type { AddressInfo } from 'node:net'
import { loadConfigOrExit } from './config.js'
import { DEMO_TOKEN, demoData } from './demo/fixtures.js'
import { type RunningRegionService, startRegionService } from './demo/region-service.js'
import { createHttpServer } from './http-server.js'
import { createLogger } from './logger.js'
import { createGateway, GRAPHQL_ENDPOINT, gatewayVersion } from './server.js'
import { exitOnSignals, GracefulShutdown } from './shutdown.js'

async function main(): Promise<void> {
  const config = loadConfigOrExit()
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty })
  // Off unless OTEL_* variables ask for it; then the SDK is not even loaded.
  const tracing =
    config.tracing &&
    (await import('./observability/tracing-sdk.js')).startTracing({
      config: config.tracing,
      serviceVersion: gatewayVersion(),
      logger,
    })
  if (config.tracing) {
    const { exporter, protocol, sampler } = config.tracing
    logger.info({ exporter, protocol, sampler }, 'OpenTelemetry tracing on')
  }

  let demo: RunningRegionService | undefined
  let regionApiUrl = config.regionApiUrl
  if (regionApiUrl === undefined) {
    demo = await startRegionService({ data: demoData(), latencyMs: 15 }, config.demoHost, config.demoPort)
    regionApiUrl = demo.url
    logger.warn(
      { demoRegionService: demo.url },
      'DEMO MODE: REGION_API_URL is not set, serving the embedded demo region service with fixture data',
    )
  }

  const gateway = createGateway(
    config,
    { regionApiUrl, demoMode: demo !== undefined, graphiqlToken: demo ? DEMO_TOKEN : undefined, tracing },
    logger,
  )
  const server = createHttpServer(gateway.yoga, config.http, logger)
  const shutdown = new GracefulShutdown({
    server,
    readiness: gateway.readiness,
    graceMs: config.shutdown.graceMs,
    idleSettleMs: config.shutdown.idleSettleMs,
    delayMs: config.shutdown.delayMs,
    log: logger,
    cleanup: async () => {
      await gateway.close()
      await demo?.close()
      // After the gateway's last requests, so their spans are flushed.
      await tracing?.shutdown()
    },
  })
  exitOnSignals(shutdown, logger)
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve))
  const { port } = server.address() as AddressInfo
  logger.info(
    { port, upstream: demo ? 'demo' : new URL(regionApiUrl).origin },
    `gateway listening on http://localhost:${port}${GRAPHQL_ENDPOINT}`,
  )
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
