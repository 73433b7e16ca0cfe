import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { RegionApiClient, type RegionApiClientOptions } from '../../src/upstream/client.js'

/** A logger that writes nothing, for the client and loaders used without a gateway. */
export const SILENT = createLogger({ level: 'silent' })

const defaults = loadConfig({ NODE_ENV: 'test', REGION_API_URL: 'http://127.0.0.1:1' })

/**
 * The Region Service client on its own, for tests below the gateway: silent, two connections,
 * the configured resilience without retries; `options` override any of it.
 */
export function testClient(baseUrl: string, options: Partial<RegionApiClientOptions> = {}): RegionApiClient {
  return new RegionApiClient({
    baseUrl,
    timeoutMs: 10_000,
    maxBodyBytes: 64 * 1024 * 1024,
    bufferBytes: 256 * 1024 * 1024,
    connections: 2,
    resilience: { ...defaults.resilience, retries: 0 },
    logger: SILENT,
    ...options,
  })
}
