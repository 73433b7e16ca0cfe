import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RegionApiClient } from '../src/upstream/client.js'
import { upstreamReadinessCheck } from '../src/upstream/readiness.js'
import { testClient } from './helpers/client.js'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeRegion, uuid } from './helpers/fixtures.js'
import { freeLoopbackPort, startGateway, TEST_RESILIENCE } from './helpers/harness.js'

let upstream: RunningFakeUpstream
let answering503: Server
let url503: string
let closedUrl: string

function client(baseUrl: string): RegionApiClient {
  return testClient(baseUrl, { timeoutMs: 1000, maxBodyBytes: 1024 * 1024, resilience: TEST_RESILIENCE })
}

beforeAll(async () => {
  upstream = await startFakeUpstream({ regions: [makeRegion(uuid(1), 'alpha')], images: {} })
  answering503 = createServer((_, res) => res.writeHead(503).end('no healthy upstream'))
  await new Promise<void>((resolve) => answering503.listen(0, '127.0.0.1', resolve))
  url503 = `http://127.0.0.1:${(answering503.address() as AddressInfo).port}`
  // A port that was just free: nothing listens there.
  closedUrl = `http://127.0.0.1:${await freeLoopbackPort()}`
})

afterAll(async () => {
  await upstream.close()
  answering503.closeAllConnections()
  await new Promise<void>((resolve) => answering503.close(() => resolve()))
})

beforeEach(() => {
  upstream.requests.length = 0
})

describe('upstream readiness check', () => {
  it('is ready when the Region Service answers, and sends it no credentials', async () => {
    const check = upstreamReadinessCheck(client(upstream.url))
    expect(await check()).toEqual({ ready: true })
    expect(upstream.requests).toHaveLength(1)
    const [probe] = upstream.requests
    expect(probe?.path).toBe('/api/v1/organizations/00000000-0000-0000-0000-000000000000/regions')
    expect(probe?.headers.authorization).toBeUndefined()
  })

  it('is not ready when nothing listens or the answer is a 5xx', async () => {
    expect(await upstreamReadinessCheck(client(closedUrl))()).toEqual({
      ready: false,
      reason: 'the Region Service could not be reached',
    })
    expect(await upstreamReadinessCheck(client(url503))()).toEqual({
      ready: false,
      reason: 'the Region Service answered HTTP 503',
    })
  })

  it('reuses an answer for the cache period and runs one probe at a time', async () => {
    let now = 0
    const check = upstreamReadinessCheck(client(upstream.url), { cacheMs: 5000, now: () => now })
    await Promise.all([check(), check(), check()])
    expect(upstream.requests).toHaveLength(1)
    now = 4999
    await check()
    expect(upstream.requests).toHaveLength(1)
    now = 5000
    await check()
    expect(upstream.requests).toHaveLength(2)
  })

  it('is offered by the gateway only when READINESS_UPSTREAM_CHECK asks for it', async () => {
    const off = await startGateway(upstream.url)
    const on = await startGateway(upstream.url, { readinessUpstreamCheck: true })
    try {
      expect(off.gateway.checkUpstreamReadiness).toBeUndefined()
      expect(await on.gateway.checkUpstreamReadiness?.()).toEqual({ ready: true })
    } finally {
      await off.close()
      await on.close()
    }
  })
})
