import { expect } from 'vitest'
import { imageCalls, type RecordedRequest } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { gatewayTest } from './helpers/harness.js'

const REGIONS = Array.from({ length: 10 }, (_, index) => uuid(200 + index, 'b'))

const it = gatewayTest(
  {
    regions: REGIONS.map((id, index) => makeRegion(id, `region-${index}`)),
    images: Object.fromEntries(REGIONS.map((id, index) => [id, [makeImage({ name: `image-of-${index}` })]])),
  },
  { latencyMs: 200 },
)

/** The most requests the upstream had open at one moment. */
function peakInFlight(requests: readonly RecordedRequest[]): number {
  const events = requests.flatMap((request) => [
    { at: request.startedAt, delta: 1 },
    { at: request.finishedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ])
  events.sort((a, b) => a.at - b.at || a.delta - b.delta)
  let open = 0
  let peak = 0
  for (const event of events) {
    open += event.delta
    peak = Math.max(peak, open)
  }
  return peak
}

it('fetches distinct regions concurrently, once each', async ({ gateway, upstream }) => {
  const { body } = await gateway.query<{ images: { totalCount: number } }>(
    'query($ids: [ID!]!) { images(regionIds: $ids) { totalCount } }',
    { ids: REGIONS },
  )
  expect(body.data?.images.totalCount).toBe(10)
  const calls = imageCalls(upstream)
  expect(calls).toHaveLength(10)
  expect(new Set(calls.map((call) => call.path)).size).toBe(10)
  // Each call takes 200 ms upstream: all ten must have been open at the same time.
  expect(peakInFlight(calls)).toBe(10)
})

it('fetches the regions of an organization concurrently', async ({ gateway, upstream }) => {
  const { body } = await gateway.query<{ regions: { images: { totalCount: number } }[] }>(
    `query { regions(organizationId: "${uuid(1)}") { images { totalCount } } }`,
  )
  expect(body.data?.regions.map((region) => region.images.totalCount)).toEqual(Array(10).fill(1))
  expect(peakInFlight(imageCalls(upstream))).toBe(10)
})
