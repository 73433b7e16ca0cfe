// Hostile traffic, finding 1: every distinct filter grew the process until V8 aborted.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadPersistedDocuments } from '../../src/plugins/persisted-documents.js'
import { type RunningFakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from '../helpers/fixtures.js'
import { graphqlClient, HEAVY_TIMEOUT_MS, residentMiB, runAll } from '../helpers/hostile.js'
import { type GatewayProcess, spawnGateway } from '../helpers/process.js'

const REGIONS = [uuid(1, 'd'), uuid(2, 'd')]
const ATTACKS = 3000
/** Names in one filter: about 90 KB of JSON, under the default request body limit. */
const NAMES_PER_FILTER = 3000

const ORGANIZATION_IMAGES = [...loadPersistedDocuments()].find(([, text]) =>
  text.startsWith('query OrganizationImages('),
)?.[0]

let upstream: RunningFakeUpstream
let gateway: GatewayProcess

beforeAll(async () => {
  upstream = await startFakeUpstream({
    regions: REGIONS.map((id, index) => makeRegion(id, `region-${index}`)),
    images: Object.fromEntries(
      REGIONS.map((id) => [
        id,
        Array.from({ length: 50 }, (_, n) => makeImage({ name: `image-${n}`, owner: ORG_A })),
      ]),
    ),
  })
  // Persisted documents only: the attack needs no query text of its own, only a variable.
  gateway = await spawnGateway({
    REGION_API_URL: upstream.url,
    PERSISTED_DOCUMENTS_ONLY: 'true',
    NODE_OPTIONS: '--max-old-space-size=384',
  })
})

afterAll(async () => {
  await gateway?.exit()
  await upstream?.close()
})

function filterNumber(attack: number) {
  const names = Array.from({ length: NAMES_PER_FILTER }, (_, n) => `distro-${attack}-${n}-padding-text`)
  return { os: { distros: names } }
}

it(
  'keeps memory flat under thousands of distinct ~90 KB filters over two regions',
  async () => {
    expect(ORGANIZATION_IMAGES).toBeDefined()
    const client = graphqlClient(gateway.url)
    const ask = (filter: unknown) =>
      client.post({
        documentId: ORGANIZATION_IMAGES,
        variables: { organizationId: ORG_A, filter, first: 10 },
      })
    try {
      const warm = await ask(filterNumber(-1))
      expect(warm.body.errors).toBeUndefined()
      expect(JSON.stringify(warm.body).length).toBeGreaterThan(100)
      await runAll(200, 8, async (index) => {
        await ask(filterNumber(-2 - index))
      })
      const before = residentMiB(gateway.child.pid as number)

      let answered = 0
      await runAll(ATTACKS, 8, async (attack) => {
        const { status, body } = await ask(filterNumber(attack))
        if (status === 200 && body.errors === undefined) answered++
      })
      const after = residentMiB(gateway.child.pid as number)

      expect(answered).toBe(ATTACKS)
      expect(gateway.child.exitCode).toBeNull()
      expect(after.now - before.now).toBeLessThan(100)
      // Still answering, and still asking the upstream (two regions, one region list per request).
      const calls = upstream.requests.length
      expect((await ask(filterNumber(ATTACKS))).body.errors).toBeUndefined()
      expect(upstream.requests.length).toBe(calls + 3)
    } finally {
      await client.close()
    }
  },
  HEAVY_TIMEOUT_MS,
)
