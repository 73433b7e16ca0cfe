import { randomBytes } from 'node:crypto'
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import type { UpstreamErrorBody, UpstreamImage, UpstreamRegion } from '../upstream/types.js'

export interface RegionServiceData {
  readonly regions: readonly UpstreamRegion[]
  /** Images per region id; a region without an entry has none. */
  readonly images: Readonly<Record<string, readonly UpstreamImage[]>>
}

export interface RegionServiceOptions {
  readonly data: RegionServiceData
  /** Added before every answer, to imitate a remote service. */
  readonly latencyMs?: number
}

export interface RunningRegionService {
  readonly url: string
  close(): Promise<void>
}

/**
 * The Region Service's ownership tags (its README), spelled here rather than taken from the
 * gateway: an image without the organization tag is global.
 */
export const OWNER_ORGANIZATION_TAG = 'images.unikorn-cloud.org:organization-id'
export const SOURCE_TAG = 'images.unikorn-cloud.org:source'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const IMAGES_PATH = /^\/api\/v2\/regions\/([^/]+)\/images$/
const REGIONS_PATH = /^\/api\/v1\/organizations\/([^/]+)\/regions$/

/**
 * A Region Service that behaves like the real one (service version 1.13) for the two
 * operations the gateway calls: UUID checks before auth, 401 without a bearer token, 404 for
 * unknown regions, 500 for kubernetes regions, organizationID/scope/status semantics, results
 * sorted by name. It keeps nothing of a request once it has answered: it runs as the demo and
 * docker compose upstream, where every request carries a caller's token.
 */
export function createRegionServiceHandler(options: RegionServiceOptions): RequestListener {
  return (req, res) => {
    answer(options, req, res).catch(() => {
      if (!res.headersSent) sendError(res, 500, 'server_error', 'unexpected failure')
      else res.destroy()
    })
  }
}

/** The demo region service on its own server; port 0 takes any free port. */
export async function startRegionService(
  options: RegionServiceOptions,
  host = '127.0.0.1',
  port = 0,
): Promise<RunningRegionService> {
  const server: Server = createServer(createRegionServiceHandler(options))
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  const address = server.address() as AddressInfo
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function answer(
  options: RegionServiceOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
  if (req.method !== 'GET') return sendError(res, 405, 'method_not_allowed', 'method not allowed')

  const url = new URL(req.url ?? '/', 'http://region-service')
  const imagesMatch = IMAGES_PATH.exec(url.pathname)
  const regionsMatch = REGIONS_PATH.exec(url.pathname)
  const pathId = decodeURIComponent((imagesMatch ?? regionsMatch)?.[1] ?? '')
  if (!imagesMatch && !regionsMatch) return sendError(res, 404, 'not_found', 'no such route')
  if (!UUID.test(pathId)) return sendError(res, 400, 'invalid_request', 'path parameter is not a valid UUID')
  if (!/^Bearer +\S+$/i.test(req.headers.authorization ?? '')) {
    res.setHeader('www-authenticate', 'Bearer error="invalid_token"')
    return sendError(res, 401, 'access_denied', 'authorization header missing or invalid')
  }
  if (regionsMatch) return sendJson(res, 200, options.data.regions)

  const region = options.data.regions.find((candidate) => candidate.metadata.id === pathId)
  if (!region) return sendError(res, 404, 'not_found', 'region not found')
  if (region.spec.type === 'kubernetes')
    return sendError(res, 500, 'server_error', 'region has no image service')
  const scope = url.searchParams.get('scope') ?? 'available'
  const states = url.searchParams.getAll('status')
  if (scope !== 'owned' && scope !== 'available')
    return sendError(res, 400, 'invalid_request', 'invalid scope')
  const organizations = new Set(url.searchParams.getAll('organizationID'))
  const images = (options.data.images[pathId] ?? [])
    .filter((image) => visible(image, organizations, scope))
    .filter((image) => states.length === 0 || states.includes(image.status.state))
  sendJson(res, 200, sortedByName(images))
}

/**
 * The service (Go) compares names byte by byte, which is UTF-8 and so code-point order; its
 * own encoding here keeps the demo independent of the gateway's comparison, which it checks.
 */
function sortedByName(images: readonly UpstreamImage[]): UpstreamImage[] {
  return images
    .map((image) => ({ image, name: Buffer.from(image.metadata.name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.name, b.name))
    .map(({ image }) => image)
}

function visible(image: UpstreamImage, organizations: ReadonlySet<string>, scope: string): boolean {
  const owner = image.metadata.tags?.find((tag) => tag.name === OWNER_ORGANIZATION_TAG)?.value
  if (organizations.size === 0) return owner === undefined
  if (owner === undefined) return scope === 'available'
  return organizations.has(owner)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
  })
  res.end(text)
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: UpstreamErrorBody['error'],
  description: string,
  traceId: string = randomBytes(16).toString('hex'),
): void {
  const body: UpstreamErrorBody = { error, error_description: description, trace_id: traceId }
  sendJson(res, status, body)
}
