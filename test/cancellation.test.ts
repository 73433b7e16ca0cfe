import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RegionImagesSource } from '../src/cache/region-images-source.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway, TOKEN } from './helpers/harness.js'
import { parsePrometheusText, total } from './helpers/prometheus.js'
import { type RunningRedis, redisServerAvailable, startRedisServer } from './helpers/redis.js'

const SLOW_MS = 1500
/** Regions that answer after SLOW_MS; any other region answers at once. */
const REGIONS = [uuid(1, 'd'), uuid(2, 'd'), uuid(3, 'd')]
/** An organization whose region list answers after SLOW_MS. */
const SLOW_ORGANIZATION = uuid(9, 'f')

interface UpstreamCall {
  readonly path: string
  answered: boolean
  /** The gateway closed the connection before the answer was sent. */
  cut: boolean
}

/** A Region Service that answers the image lists of REGIONS after SLOW_MS and records calls cut short. */
let upstream: Server
let gateway: RunningGateway
const calls: UpstreamCall[] = []

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const call: UpstreamCall = { path: req.url ?? '', answered: false, cut: false }
    calls.push(call)
    const regionList = call.path.endsWith('/regions')
    const slow = [...REGIONS, SLOW_ORGANIZATION].some((id) => call.path.includes(id))
    const timer = setTimeout(
      () => {
        call.answered = true
        res.writeHead(200, { 'content-type': 'application/json' })
        const answer = regionList
          ? [makeRegion(uuid(10, 'd'), 'slow-region')]
          : [makeImage({ name: slow ? 'slow-image' : 'fast-image' })]
        res.end(JSON.stringify(answer))
      },
      slow ? SLOW_MS : 0,
    )
    res.on('close', () => {
      if (call.answered) return
      call.cut = true
      clearTimeout(timer)
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  gateway = await startGateway(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)
})

afterAll(async () => {
  await gateway?.close()
  upstream?.closeAllConnections()
  await new Promise<void>((resolve) => upstream?.close(() => resolve()))
})

beforeEach(() => {
  calls.length = 0
})

const QUERY = 'query($ids: [ID!]!) { images(regionIds: $ids) { totalCount nodes { name } } }'

/** Sends the query without waiting for an answer; `goAway` drops the connection like a closed tab. */
function sendAndKeep(ids: readonly string[], to: RunningGateway = gateway): { goAway: () => void } {
  return sendAndKeepBody(JSON.stringify({ query: QUERY, variables: { ids } }), to)
}

function sendAndKeepBody(body: string, to: RunningGateway = gateway): { goAway: () => void } {
  const client = request(`${to.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
  })
  client.on('error', () => {
    // Expected: the socket is destroyed on purpose.
  })
  client.end(body)
  return { goAway: () => client.destroy() }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Upstream calls and GraphQL operations counted as cancelled so far, and upstream calls timed. */
async function cancelled(
  of: RunningGateway = gateway,
): Promise<{ calls: number; operations: number; timedCalls: number }> {
  const families = parsePrometheusText(await (await fetch(`${of.url}/metrics`)).text())
  return {
    calls: total(families, 'gateway_upstream_requests_total', { outcome: 'cancelled' }),
    operations: total(families, 'gateway_graphql_operations_total', { outcome: 'cancelled' }),
    timedCalls: total(families, 'gateway_upstream_request_duration_seconds_count'),
  }
}

/**
 * Sends the query for every slow region, leaves once each region's call waits upstream, and
 * checks that every call was cut, none answered and none retried.
 */
async function leaveWhileEveryRegionWaits(to: RunningGateway = gateway): Promise<void> {
  const client = sendAndKeep(REGIONS, to)
  await until(() => calls.length === REGIONS.length, 'the gateway called every region')
  client.goAway()
  await until(() => calls.every((call) => call.cut), 'every upstream call was cut')
  expect(calls.some((call) => call.answered)).toBe(false)
  await new Promise((resolve) => setTimeout(resolve, 200))
  expect(calls, 'nothing is retried').toHaveLength(REGIONS.length)
}

describe('a client that goes away', () => {
  it('has its upstream calls cut, counted as cancelled, and a later request starts afresh', async () => {
    const before = await cancelled()
    await leaveWhileEveryRegionWaits()
    await until(
      () => gateway.logs.records.some((record) => record.clientWentAway === true),
      'the request was logged',
    )
    // Counted, but not timed: a call cut short says nothing of how fast the upstream answers.
    expect(await cancelled()).toEqual({
      calls: before.calls + REGIONS.length,
      operations: before.operations + 1,
      timedCalls: before.timedCalls,
    })

    // The cancelled calls are forgotten: the same caller asking again gets a full answer.
    const again = await gateway.query<{ images: { totalCount: number } }>(QUERY, { ids: REGIONS })
    expect(again.body.errors).toBeUndefined()
    expect(again.body.data?.images.totalCount).toBe(REGIONS.length)
    expect(calls).toHaveLength(REGIONS.length * 2)
    expect((await cancelled()).timedCalls).toBe(before.timedCalls + REGIONS.length)
  })

  it('has its region list call cut and counted as cancelled', async () => {
    const before = await cancelled()
    const wentAway = () => gateway.logs.records.filter((record) => record.clientWentAway === true).length
    const loggedBefore = wentAway()
    const client = sendAndKeepBody(
      JSON.stringify({ query: `{ regions(organizationId: "${SLOW_ORGANIZATION}") { id name } }` }),
    )
    await until(() => calls.length === 1, 'the gateway asked for the region list')
    expect(calls[0]?.path).toContain(`/organizations/${SLOW_ORGANIZATION}/regions`)
    client.goAway()
    await until(() => calls[0]?.cut === true, 'the region list call was cut')
    expect(calls[0]?.answered).toBe(false)
    await until(() => wentAway() > loggedBefore, 'the request was logged')
    expect(await cancelled()).toMatchObject({ calls: before.calls + 1, operations: before.operations + 1 })
    expect(calls, 'nothing is retried').toHaveLength(1)
  })

  it('does not cancel a call another request of the same caller is still waiting for', async () => {
    const region = REGIONS[0] as string
    const leaving = sendAndKeep([region])
    await until(() => calls.length === 1, 'the first request called the region')
    // Same token, same region, while the first call is in flight: the second joins it.
    const staying = gateway.query<{ images: { totalCount: number; nodes: { name: string }[] } }>(QUERY, {
      ids: [region],
    })
    // Loopback: the second request joins within milliseconds; the call still has >1 s to go.
    await new Promise((resolve) => setTimeout(resolve, 300))
    leaving.goAway()
    const { body } = await staying
    expect(body.errors).toBeUndefined()
    expect(body.data?.images.nodes).toEqual([{ name: 'slow-image' }])
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ answered: true, cut: false })
  })

  it('fans out over many regions without a listener-leak warning', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      const many = Array.from({ length: 20 }, (_, index) => uuid(100 + index, 'e'))
      const { body } = await gateway.query<{ images: { totalCount: number } }>(QUERY, { ids: many })
      expect(body.data?.images.totalCount).toBe(20)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})

// CI installs redis-server (.ci/run); elsewhere the suite says why it did not run.
describe.runIf(redisServerAvailable() || process.env.CI)(
  'with the response cache in Redis, a client that goes away',
  () => {
    let redis: RunningRedis
    let cachingGateway: RunningGateway

    beforeAll(async () => {
      redis = await startRedisServer()
      cachingGateway = await startGateway(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, {
        cacheTtlMs: 60_000,
        redisUrl: redis.url,
      })
    })

    afterAll(async () => {
      await cachingGateway?.close()
      redis?.stop()
    })

    it('has its upstream calls cut, and nothing of them is cached', async () => {
      // Each call starts after the cache in Redis missed: the client leaves while all wait upstream.
      await leaveWhileEveryRegionWaits(cachingGateway)
      expect((await cancelled(cachingGateway)).calls).toBe(REGIONS.length)

      // Nothing was stored for the cut calls: asking again calls every region again, in full.
      const again = await cachingGateway.query<{ images: { totalCount: number } }>(QUERY, { ids: REGIONS })
      expect(again.body.errors).toBeUndefined()
      expect(again.body.data?.images.totalCount).toBe(REGIONS.length)
      expect(calls).toHaveLength(REGIONS.length * 2)
      // And that full answer was: a third time is served from Redis.
      await cachingGateway.query(QUERY, { ids: REGIONS })
      expect(calls).toHaveLength(REGIONS.length * 2)
    })
  },
)

describe('RegionImagesSource', () => {
  /** A fetch that never answers; it records its signal and fails once that aborts. */
  function hangingFetch(signals: AbortSignal[]) {
    return (signal: AbortSignal) => {
      signals.push(signal)
      return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    }
  }

  it('cancels a shared call only when every request waiting for it has gone, then starts afresh', async () => {
    const source = new RegionImagesSource({ ttlMs: 0 })
    const signals: AbortSignal[] = []
    const fetch = hangingFetch(signals)
    const [first, second] = [new AbortController(), new AbortController()]
    const waits = [
      source.load('caller', 'region', fetch, first.signal),
      source.load('caller', 'region', fetch, second.signal),
    ]
    expect(signals).toHaveLength(1)
    first.abort()
    expect(signals[0]?.aborted).toBe(false)
    second.abort()
    expect(signals[0]?.aborted).toBe(true)
    for (const wait of waits) await expect(wait).rejects.toBeDefined()

    // The cancelled call is forgotten at once: the next request does not join it.
    const third = new AbortController()
    const next = source.load('caller', 'region', fetch, third.signal)
    expect(signals).toHaveLength(2)
    expect(signals[1]?.aborted).toBe(false)
    third.abort()
    await expect(next).rejects.toBeDefined()
  })

  it('never cancels a call a request without a signal waits for', async () => {
    const source = new RegionImagesSource({ ttlMs: 0 })
    const signals: AbortSignal[] = []
    const fetch = hangingFetch(signals)
    const leaving = new AbortController()
    void source.load('caller', 'region', fetch).catch(() => undefined)
    void source.load('caller', 'region', fetch, leaving.signal).catch(() => undefined)
    leaving.abort()
    expect(signals).toHaveLength(1)
    expect(signals[0]?.aborted).toBe(false)
  })
})
