import { loadConfigOrExit } from '../config.js'
import { createLogger } from '../logger.js'
import { demoData } from './fixtures.js'
import { startRegionService } from './region-service.js'

/**
 * The demo region service on its own, as an upstream stand-in for docker compose: the same
 * fixtures and behaviour as the gateway's embedded demo, listening on DEMO_HOST:DEMO_PORT
 * (DEMO_PORT 0 takes any free port; the log line says which).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit('demo-region-service')
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty }).child({
    component: 'demo-region-service',
  })
  const service = await startRegionService(
    { data: demoData(), latencyMs: 15 },
    config.demoHost,
    config.demoPort,
  )
  logger.warn(
    { url: service.url },
    'DEMO region service listening: fixture data, any bearer token is accepted',
  )

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    service.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
