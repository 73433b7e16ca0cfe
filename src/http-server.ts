import { createServer, type RequestListener, type Server } from 'node:http'
import type { HttpServerConfig } from './config.js'
import type { Logger } from './logger.js'

/** A connection cap being hit is logged at most this often, so a flood does not flood the log too. */
const DROP_REPORT_INTERVAL_MS = 10_000

/**
 * The gateway's HTTP server with deliberate limits instead of Node's defaults (no connection
 * cap, 300 s to send a request, 30 s between timeout checks). main.ts and the tests build the
 * server here, so what the tests exercise is what runs.
 */
export function createHttpServer(handler: RequestListener, config: HttpServerConfig, log?: Logger): Server {
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: config.connectionsCheckingIntervalMs,
    },
    handler,
  )
  server.keepAliveTimeout = config.keepAliveTimeoutMs
  server.maxConnections = config.maxConnections
  if (log) {
    let dropped = 0
    let reportedAt = Number.NEGATIVE_INFINITY
    server.on('drop', () => {
      dropped++
      const now = performance.now()
      if (now - reportedAt < DROP_REPORT_INTERVAL_MS) return
      reportedAt = now
      log.warn(
        { maxConnections: config.maxConnections, droppedSinceStart: dropped },
        'connection cap reached: closing new connections as they arrive',
      )
    })
  }
  return server
}
