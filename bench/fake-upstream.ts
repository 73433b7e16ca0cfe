import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { benchImages, benchRegionId, FAILING_TENANT } from './data.js'

/**
 * A fast Region Service stand-in for benchmarks. Like the real service, it renders its answer
 * on every call (JSON.stringify of the region's images), unless a region is `prerendered`:
 * then it sends bytes rendered once, so a scenario measures the gateway rather than this
 * process. A region that `varies` answers every call with different bytes (its first image's
 * description counts the calls), as if every caller saw a different list: the gateway cannot
 * reuse an earlier parse. An `endless` region's answer never ends. Every call with a token of
 * FAILING_TENANT fails with 500, as if the service broke for that tenant only. Run as its own
 * process (argv: a JSON list of region specs); prints its URL.
 */
interface RegionSpec {
  readonly region: number
  readonly images: number
  readonly latencyMs?: number
  readonly prerendered?: boolean
  readonly varies?: boolean
  readonly endless?: boolean
}

const ENDLESS_CHUNK = Buffer.from(`[${'{"padding":"0123456789abcdef0123456789abcdef"},'.repeat(1400)}`)

const specs = JSON.parse(process.argv[2] ?? '[]') as RegionSpec[]
interface Answer {
  readonly images: ReturnType<typeof benchImages>
  readonly rendered: Buffer | undefined
  readonly latencyMs: number
  readonly varies: boolean
  readonly endless: boolean
}
const answers = new Map<string, Answer>()
for (const spec of specs) {
  const images = benchImages(spec.region, spec.images)
  answers.set(`/api/v2/regions/${benchRegionId(spec.region)}/images`, {
    images,
    rendered: spec.prerendered ? Buffer.from(JSON.stringify(images)) : undefined,
    latencyMs: spec.latencyMs ?? 0,
    varies: spec.varies === true,
    endless: spec.endless === true,
  })
}
let calls = 0

function render(answer: Answer): Buffer {
  if (answer.rendered) return answer.rendered
  const first = answer.images[0]
  if (answer.varies && first) first.metadata.description = `call ${++calls}`
  return Buffer.from(JSON.stringify(answer.images))
}
const regions = Buffer.from(
  JSON.stringify(
    specs.map((spec) => ({
      metadata: {
        id: benchRegionId(spec.region),
        name: `bench-${spec.region}`,
        creationTime: '2024-01-01T00:00:00Z',
        provisioningStatus: 'provisioned',
        healthStatus: 'healthy',
      },
      spec: { type: 'openstack', features: { physicalNetworks: false } },
    })),
  ),
)

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  const found = answers.get(path)
  const send = () => {
    if (req.headers.authorization?.includes(FAILING_TENANT)) {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end('{"error":"server_error","error_description":"fails for this tenant","trace_id":"bench"}')
      return
    }
    if (found?.endless) {
      res.writeHead(200, { 'content-type': 'application/json' })
      const more = () => {
        while (!res.destroyed && res.write(ENDLESS_CHUNK));
      }
      res.on('drain', more)
      more()
      return
    }
    const body = found ? render(found) : path.endsWith('/regions') ? regions : undefined
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"error":"not_found","error_description":"no such region","trace_id":"bench"}')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  }
  if (found?.latencyMs) setTimeout(send, found.latencyMs)
  else send()
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  )
})
