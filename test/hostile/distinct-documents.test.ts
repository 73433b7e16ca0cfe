// Hostile traffic, finding 2: every distinct large document was parsed, compiled and kept.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RunningFakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { graphqlClient, HEAVY_TIMEOUT_MS, residentMiB, runAll } from '../helpers/hostile.js'
import { type GatewayProcess, spawnGateway } from '../helpers/process.js'

const REGION = uuid(1, 'd')
const ATTACKS = 3000

let upstream: RunningFakeUpstream
let gateway: GatewayProcess

beforeAll(async () => {
  upstream = await startFakeUpstream({
    regions: [makeRegion(REGION, 'one')],
    images: { [REGION]: [makeImage({ name: 'debian-12' })] },
  })
  gateway = await spawnGateway({ REGION_API_URL: upstream.url, NODE_OPTIONS: '--max-old-space-size=384' })
})

afterAll(async () => {
  await gateway?.exit()
  await upstream?.close()
})

/**
 * A valid ~88 KB document of a few hundred tokens: long aliases make a large AST and large
 * compiled code, within the default limits on tokens, aliases and body size.
 */
function document(attack: number): string {
  const fields = Array.from(
    { length: 8 },
    (_, n) =>
      `a${Math.abs(attack)}x${n}${'y'.repeat(11_000)}: region(id: "${REGION}") { images { totalCount } }`,
  )
  return `query Attack${Math.abs(attack)}${attack < 0 ? 'w' : ''} { ${fields.join(' ')} }`
}

it(
  'keeps memory flat under thousands of distinct ~88 KB documents',
  async () => {
    const client = graphqlClient(gateway.url)
    try {
      const first = await client.post({ query: document(-1) })
      expect(first.body.errors).toBeUndefined()
      expect(JSON.stringify(first.body)).toContain('"totalCount":1')
      await runAll(200, 8, async (index) => {
        await client.post({ query: document(-2 - index) })
      })
      const before = residentMiB(gateway.child.pid as number)

      let answered = 0
      await runAll(ATTACKS, 8, async (attack) => {
        const { status, body } = await client.post({ query: document(attack) })
        if (status === 200 && body.errors === undefined) answered++
      })
      const after = residentMiB(gateway.child.pid as number)

      expect(answered).toBe(ATTACKS)
      expect(gateway.child.exitCode).toBeNull()
      expect(after.now - before.now).toBeLessThan(100)
    } finally {
      await client.close()
    }
  },
  HEAVY_TIMEOUT_MS,
)
