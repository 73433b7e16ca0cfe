import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createRegionServiceHandler,
  type RegionServiceData,
  sendError,
} from '../../src/demo/region-service.js'

/** A request as the fake upstream saw it, for tests that assert on what crossed the wire. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage['headers']
  readonly startedAt: number
  finishedAt: number | undefined
}

export interface FakeUpstreamOptions {
  /** Added before every answer, intercepted or not, to imitate a remote service. */
  readonly latencyMs?: number
  /**
   * Lets a test take over a request (fault injection). Return true when it answered.
   * Runs after the request is recorded and before authentication.
   */
  readonly intercept?: (request: RecordedRequest, response: ServerResponse) => boolean | Promise<boolean>
}

export interface RunningFakeUpstream {
  readonly url: string
  /** Every request since the start (or since a test emptied it), in arrival order. */
  readonly requests: RecordedRequest[]
  close(): Promise<void>
}

/**
 * The demo region service's behaviour on loopback (port 0), with what only tests need around
 * it: every request recorded, headers included, and a hook to answer in its place.
 */
export async function startFakeUpstream(
  data: RegionServiceData,
  options: FakeUpstreamOptions = {},
): Promise<RunningFakeUpstream> {
  // The fake waits itself, so that an intercepted answer is as slow as the service's own.
  const regionService = createRegionServiceHandler({ data })
  const requests: RecordedRequest[] = []

  async function answer(recorded: RecordedRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
    if (options.intercept && (await options.intercept(recorded, res))) return
    regionService(req, res)
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://region-service')
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      startedAt: performance.now(),
      finishedAt: undefined,
    }
    requests.push(recorded)
    res.on('close', () => {
      recorded.finishedAt = performance.now()
    })
    answer(recorded, req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'server_error', 'unexpected failure')
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Requests to the image list, optionally of one region. */
export function imageCalls(upstream: RunningFakeUpstream, regionId?: string): RecordedRequest[] {
  return upstream.requests.filter(
    (request) =>
      request.path.endsWith('/images') &&
      (regionId === undefined || request.path.includes(`/regions/${regionId}/`)),
  )
}
