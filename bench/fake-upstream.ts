import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { benchImages, benchRegionId } from './data.js'

/**
 * A fast Region Service stand-in for benchmarks. Like the real service, it renders its answer
 * on every call (JSON.stringify of the region's images), unless a region is `prerendered`:
 * then it sends bytes rendered once, so a scenario measures the gateway rather than this
 * process. Run as its own process (argv: a JSON list of region specs); prints its URL.
 */
interface RegionSpec {
  readonly region: number
  readonly images: number
  readonly latencyMs?: number
  readonly prerendered?: boolean
}

const specs = JSON.parse(process.argv[2] ?? '[]') as RegionSpec[]
const answers = new Map<string, { images: unknown[]; rendered: Buffer | undefined; latencyMs: number }>()
for (const spec of specs) {
  const images = benchImages(spec.region, spec.images)
  answers.set(`/api/v2/regions/${benchRegionId(spec.region)}/images`, {
    images,
    rendered: spec.prerendered ? Buffer.from(JSON.stringify(images)) : undefined,
    latencyMs: spec.latencyMs ?? 0,
  })
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
    const body = found
      ? (found.rendered ?? Buffer.from(JSON.stringify(found.images)))
      : path.endsWith('/regions')
        ? regions
        : undefined
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
