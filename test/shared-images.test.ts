import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RunningRegionService } from '../src/demo/region-service.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { imageCalls, type RunningGateway, startFakeUpstream, startGateway } from './helpers/harness.js'
import { type RunningRedis, redisServerAvailable, startRedisServer } from './helpers/redis.js'

const REGION = uuid(1, 'e')
const ALICE = 'alice-token-1d0f3c'
const BOB = 'bob-token-77a2e9'

/**
 * The fake upstream answers each caller with its own images (named after the caller), so a
 * cache or coalescing mix-up shows as another caller's name in a response.
 */
async function startPerCallerUpstream(latencyMs: number): Promise<RunningRegionService> {
  return startFakeUpstream(
    { regions: [makeRegion(REGION, 'one')], images: {} },
    {
      latencyMs,
      intercept: (request, res) => {
        // Images are named after the caller's first name: never the token itself.
        const caller = (request.headers.authorization?.split(' ')[1] ?? 'nobody').split('-')[0]
        const images = [makeImage({ id: `img-${caller}`, name: `image-of-${caller}` })]
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(request.path.endsWith('/images') ? images : []))
        return true
      },
    },
  )
}

const QUERY = `{ region(id: "${REGION}") { images { nodes { name } } } }`
const names = (body: { data?: { region: { images: { nodes: { name: string }[] } } } | null }) =>
  body.data?.region.images.nodes.map((node) => node.name)

describe('coalescing of concurrent identical upstream calls', () => {
  let upstream: RunningRegionService
  let gateway: RunningGateway

  beforeAll(async () => {
    upstream = await startPerCallerUpstream(150)
    gateway = await startGateway(upstream.url)
  })

  afterAll(async () => {
    await gateway.close()
    await upstream.close()
  })

  it('shares one upstream call between concurrent requests of the same caller, never across callers', async () => {
    const requests = [ALICE, ALICE, ALICE, BOB, BOB].map((token) =>
      gateway.query<{ region: { images: { nodes: { name: string }[] } } }>(QUERY, {}, { token }),
    )
    const results = await Promise.all(requests)
    expect(results.map(({ body }) => names(body))).toEqual([
      ['image-of-alice'],
      ['image-of-alice'],
      ['image-of-alice'],
      ['image-of-bob'],
      ['image-of-bob'],
    ])
    const calls = imageCalls(upstream)
    expect(calls.map((call) => call.headers.authorization).sort()).toEqual([
      `Bearer ${ALICE}`,
      `Bearer ${BOB}`,
    ])
  })

  it('does not keep answers once the calls are done when no cache is configured', async () => {
    upstream.requests.length = 0
    await gateway.query(QUERY, {}, { token: ALICE })
    await gateway.query(QUERY, {}, { token: ALICE })
    expect(imageCalls(upstream)).toHaveLength(2)
  })
})

describe('response cache in memory (CACHE_TTL_MS)', () => {
  let upstream: RunningRegionService
  let gateway: RunningGateway

  beforeAll(async () => {
    upstream = await startPerCallerUpstream(0)
    gateway = await startGateway(upstream.url, { cacheTtlMs: 300 })
  })

  afterAll(async () => {
    await gateway.close()
    await upstream.close()
  })

  it('serves repeated requests of a caller from the cache until the TTL ends, per caller', async () => {
    for (const token of [ALICE, ALICE, BOB, ALICE, BOB]) {
      const { body } = await gateway.query(QUERY, {}, { token })
      expect(names(body as never)).toEqual([`image-of-${token.split('-')[0]}`])
    }
    expect(imageCalls(upstream)).toHaveLength(2)
    await new Promise((resolve) => setTimeout(resolve, 400))
    await gateway.query(QUERY, {}, { token: ALICE })
    expect(imageCalls(upstream)).toHaveLength(3)
  })

  it('never keeps the token in clear in its keys or logs', () => {
    expect(gateway.logs.lines.join('\n')).not.toContain(ALICE)
  })
})

// CI installs redis-server (.ci/run); elsewhere the suite says why it did not run.
describe.runIf(redisServerAvailable() || process.env.CI)('response cache in Redis (REDIS_URL)', () => {
  let redis: RunningRedis
  let redisUrl: string
  let upstream: RunningRegionService
  let replicaOne: RunningGateway
  let replicaTwo: RunningGateway

  beforeAll(async () => {
    redis = await startRedisServer()
    redisUrl = redis.url
    upstream = await startPerCallerUpstream(0)
    replicaOne = await startGateway(upstream.url, { cacheTtlMs: 60_000, redisUrl })
    replicaTwo = await startGateway(upstream.url, { cacheTtlMs: 60_000, redisUrl })
  })

  afterAll(async () => {
    await replicaOne?.close()
    await replicaTwo?.close()
    await upstream?.close()
    redis?.stop()
  })

  beforeEach(() => {
    upstream.requests.length = 0
  })

  it('shares answers between replicas, per caller, under hashed keys', async () => {
    const first = await replicaOne.query(QUERY, {}, { token: ALICE })
    const second = await replicaTwo.query(QUERY, {}, { token: ALICE })
    const other = await replicaTwo.query(QUERY, {}, { token: BOB })
    expect(names(first.body as never)).toEqual(['image-of-alice'])
    expect(names(second.body as never)).toEqual(['image-of-alice'])
    expect(names(other.body as never)).toEqual(['image-of-bob'])
    expect(imageCalls(upstream).map((call) => call.headers.authorization)).toEqual([
      `Bearer ${ALICE}`,
      `Bearer ${BOB}`,
    ])

    const client = new Redis(redisUrl)
    const keys = await client.keys('*')
    const values = await Promise.all(keys.map((key) => client.get(key)))
    await client.quit()
    expect(keys).toHaveLength(2)
    for (const text of [...keys, ...values]) {
      expect(text).not.toContain(ALICE)
      expect(text).not.toContain(BOB)
    }
  })
})
