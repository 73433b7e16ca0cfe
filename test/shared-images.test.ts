import { createHash, createHmac } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway } from './helpers/harness.js'
import { type RunningRedis, redisServerAvailable, startRedisServer } from './helpers/redis.js'

const REGION = uuid(1, 'e')
const ALICE = 'alice-token-1d0f3c'
const BOB = 'bob-token-77a2e9'
const SECRET = 'cache-key-secret-of-this-deployment-0123456789'

/**
 * The fake upstream answers each caller with its own images (named after the caller), so a
 * cache or coalescing mix-up shows as another caller's name in a response.
 */
async function startPerCallerUpstream(latencyMs: number): Promise<RunningFakeUpstream> {
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
  let upstream: RunningFakeUpstream
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
  let upstream: RunningFakeUpstream
  let gateway: RunningGateway
  // Not 0: lru-cache takes a start time of 0 for "no TTL".
  const clock = { ms: 1_000_000 }

  beforeAll(async () => {
    upstream = await startPerCallerUpstream(0)
    gateway = await startGateway(upstream.url, { cacheTtlMs: 300, runtime: { now: () => clock.ms } })
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
    clock.ms += 300
    await gateway.query(QUERY, {}, { token: ALICE })
    expect(imageCalls(upstream)).toHaveLength(2)
    clock.ms += 1
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
  let upstream: RunningFakeUpstream
  let replicaOne: RunningGateway
  let replicaTwo: RunningGateway

  beforeAll(async () => {
    redis = await startRedisServer()
    redisUrl = redis.url
    upstream = await startPerCallerUpstream(0)
    replicaOne = await startGateway(upstream.url, { cacheTtlMs: 60_000, redisUrl, cacheKeySecret: SECRET })
    replicaTwo = await startGateway(upstream.url, { cacheTtlMs: 60_000, redisUrl, cacheKeySecret: SECRET })
  })

  afterAll(async () => {
    await replicaOne?.close()
    await replicaTwo?.close()
    await upstream?.close()
    redis?.stop()
  })

  beforeEach(async () => {
    upstream.requests.length = 0
    const client = new Redis(redisUrl)
    await client.flushall()
    await client.quit()
  })

  it('shares answers between replicas, per caller, under keyed hashes', async () => {
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
    // Without the secret, a key cannot be told from a token: not the token's plain SHA-256.
    const unkeyed = createHash('sha256').update(`Bearer ${ALICE}`).digest('base64url')
    expect(keys.join('\n')).not.toContain(unkeyed)
    expect(keys).toContain(redisKey(ALICE))
  })

  it('checks what Redis returns like an upstream answer: a bad value is a miss', async () => {
    const client = new Redis(redisUrl)
    const key = redisKey(ALICE).slice('images-gateway:v2:'.length)
    const badValues = [
      JSON.stringify({ key, regionId: 1, images: [] }),
      JSON.stringify({ key, regionId: REGION, images: [{ metadata: { name: 'not an image' } }] }),
      // A well-formed value of another key, moved here.
      JSON.stringify({ key: `${key}x`, regionId: REGION, images: [makeImage({ name: 'image-of-mallory' })] }),
      'not json',
    ]
    try {
      for (const [index, value] of badValues.entries()) {
        await client.set(redisKey(ALICE), value)
        const { body } = await replicaOne.query(QUERY, {}, { token: ALICE })
        expect(names(body as never)).toEqual(['image-of-alice'])
        expect(imageCalls(upstream)).toHaveLength(index + 1)
      }
    } finally {
      await client.quit()
    }
    expect(
      replicaOne.logs.records.filter((record) =>
        record.msg?.toString().startsWith('response cache value refused'),
      ),
    ).toHaveLength(3)
  })

  it('does not share answers with a replica that has another secret', async () => {
    const stranger = await startGateway(upstream.url, {
      cacheTtlMs: 60_000,
      redisUrl,
      cacheKeySecret: 'x'.repeat(32),
    })
    try {
      await replicaOne.query(QUERY, {}, { token: ALICE })
      await stranger.query(QUERY, {}, { token: ALICE })
      expect(imageCalls(upstream)).toHaveLength(2)
    } finally {
      await stranger.close()
    }
  })
})

/** The Redis key replicas with SECRET keep the caller's list of REGION under. */
function redisKey(token: string): string {
  const caller = createHmac('sha256', SECRET).update(`Bearer ${token}`).digest('base64url')
  return `images-gateway:v2:${caller}|${createHash('sha256').update(`${REGION}||`).digest('base64url')}`
}
