// Hostile traffic, finding 4: upstream bodies were bounded per call only, not in total.
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { graphqlClient, HEAVY_TIMEOUT_MS, residentMiB } from '../helpers/hostile.js'
import { type GatewayProcess, spawnGateway } from '../helpers/process.js'
import { parsePrometheusText, value } from '../helpers/prometheus.js'

const ENDLESS = Array.from({ length: 20 }, (_, n) => uuid(n + 1, 'e'))
const CHUNK = Buffer.from(`[${'{"padding":"0123456789abcdef0123456789abcdef"},'.repeat(1400)}`)

let upstream: RunningFakeUpstream
let gateway: GatewayProcess
let endless = true

/** Writes a body that never ends, as fast as the gateway reads it, until the gateway hangs up. */
function pour(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  const more = () => {
    while (!res.destroyed && res.write(CHUNK));
  }
  res.on('drain', more)
  more()
}

beforeAll(async () => {
  upstream = await startFakeUpstream(
    {
      regions: ENDLESS.map((id, n) => makeRegion(id, `endless-${n}`)),
      images: Object.fromEntries(ENDLESS.map((id) => [id, [makeImage({ name: 'fine-again' })]])),
    },
    {
      intercept: (request, res) => {
        if (!endless || !request.path.endsWith('/images')) return false
        pour(res)
        return true
      },
    },
  )
  // The container image's allocator setting, so resident memory is what a deployment sees.
  gateway = await spawnGateway({
    REGION_API_URL: upstream.url,
    NODE_OPTIONS: '--max-old-space-size=384',
    MALLOC_ARENA_MAX: '1',
  })
})

afterAll(async () => {
  await gateway?.exit()
  await upstream?.close()
})

const QUERY = `query($ids: [ID!]!) { images(regionIds: $ids) { totalCount regions { regionId ok error { code } } } }`

interface Outcomes {
  images: { totalCount: number; regions: { regionId: string; ok: boolean; error: { code: string } | null }[] }
}

it(
  'bounds what 20 endless answers buffer at once, fails them typed, and blames no region',
  async () => {
    const client = graphqlClient(gateway.url)
    try {
      // Two tenants, three times each: were the budget a region's failure, every circuit would open.
      for (const [round, token] of ['alice', 'bob', 'alice', 'bob', 'alice', 'bob'].entries()) {
        const { status, body } = await client.post({ query: QUERY, variables: { ids: ENDLESS } }, token)
        expect(status).toBe(200)
        const codes = new Set((body.data as Outcomes).images.regions.map((region) => region.error?.code))
        expect(
          [...codes].every((code) => code === 'GATEWAY_OVERLOADED' || code === 'UPSTREAM_INVALID_RESPONSE'),
        ).toBe(true)
        expect(codes.has('GATEWAY_OVERLOADED')).toBe(true)
        if (round === 0) expect(residentMiB(gateway.child.pid as number).peak).toBeLessThan(400)
      }
      expect(gateway.child.exitCode).toBeNull()
      // Every byte taken from the budget, by evicted and refused answers too, was given back.
      const metrics = parsePrometheusText(await (await fetch(`${gateway.url}/metrics`)).text())
      expect(value(metrics, 'gateway_memory_bytes', { holder: 'upstream_buffers' })).toBe(0)

      endless = false
      const calls = imageCalls(upstream).length
      const { body } = await client.post({ query: QUERY, variables: { ids: ENDLESS } }, 'carol')
      expect((body.data as Outcomes).images.totalCount).toBe(ENDLESS.length)
      expect(imageCalls(upstream).length).toBe(calls + ENDLESS.length)
    } finally {
      await client.close()
    }
  },
  HEAVY_TIMEOUT_MS,
)
