import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendError } from '../src/demo/region-service.js'
import type { UpstreamImage } from '../src/upstream/types.js'
import {
  imageCalls,
  type RecordedRequest,
  type RunningFakeUpstream,
  startFakeUpstream,
} from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import {
  freeLoopbackPort,
  type RunningGateway,
  startGateway,
  TEST_RESILIENCE,
  TOKEN,
} from './helpers/harness.js'

// One region per fault; two healthy regions whose images must come back complete.
const HEALTHY_A = uuid(1, 'f')
const HEALTHY_B = uuid(2, 'f')
const SLOW = uuid(3, 'f')
const ERROR_500 = uuid(4, 'f')
const FLAKY_503 = uuid(5, 'f')
const RESET = uuid(6, 'f')
const NOT_JSON = uuid(7, 'f')
const WRONG_SHAPE = uuid(8, 'f')
const UNAUTHORIZED = uuid(9, 'f')
const FORBIDDEN = uuid(10, 'f')
const MISSING = uuid(11, 'f')
const HUGE = uuid(12, 'f')
const HUGE_CHUNKED = uuid(13, 'f')
const REDIRECT = uuid(14, 'f')
const ERROR_BODY_CUT = uuid(15, 'f')

const TIMEOUT_MS = 1500
const MAX_BODY_BYTES = 4 * 1024 * 1024

function imagesOf(prefix: string, count: number): UpstreamImage[] {
  return Array.from({ length: count }, (_, index) =>
    makeImage({ id: `${prefix}-${index}`, name: `${prefix}-${String(index).padStart(4, '0')}` }),
  )
}

const healthyImages: Record<string, UpstreamImage[]> = {
  [HEALTHY_A]: imagesOf('alpha', 150),
  [HEALTHY_B]: imagesOf('beta', 80),
  [FLAKY_503]: imagesOf('flaky', 20),
}

// A valid, contract-conforming answer of about 5 MB: only its size is wrong.
const hugeBody = JSON.stringify(
  Array.from({ length: 5000 }, (_, index) =>
    makeImage({ id: `huge-${index}`, name: `huge-${index}`, metadata: { description: 'x'.repeat(1000) } }),
  ),
)

let decoy: Server
let decoyRequests = 0
let decoyUrl: string

const faults: Record<string, (res: ServerResponse, request: RecordedRequest) => void | Promise<void>> = {
  [SLOW]: async (res) => {
    await sleep(TIMEOUT_MS * 3)
    if (!res.destroyed) res.end('[]')
  },
  [ERROR_500]: (res) => sendError(res, 500, 'server_error', 'database exploded', 'trace-500'),
  [RESET]: (res) => {
    res.socket?.destroy()
  },
  // An error status whose body breaks off: the status still says what happened.
  [ERROR_BODY_CUT]: (res) => {
    res.writeHead(500, { 'content-type': 'application/json', 'content-length': '1000' })
    res.write('{"error":"server_error","error_description":"half of')
    setTimeout(() => res.socket?.destroy(), 20)
  },
  [NOT_JSON]: (res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html><body>Bad gateway</body></html>')
  },
  [WRONG_SHAPE]: (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ items: [], next: null }))
  },
  [UNAUTHORIZED]: (res, request) =>
    // A careless upstream that echoes the credential back: the gateway must not pass it on.
    sendError(
      res,
      401,
      'access_denied',
      `token rejected: ${request.headers.authorization ?? ''}`,
      'trace-401',
    ),
  [FORBIDDEN]: (res) => sendError(res, 403, 'forbidden', 'no access', 'trace-403'),
  [MISSING]: (res) => sendError(res, 404, 'not_found', 'region not found', 'trace-404'),
  [HUGE]: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(hugeBody) })
    res.end(hugeBody)
  },
  [HUGE_CHUNKED]: (res) => {
    // No Content-Length: the limit must hold while streaming.
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = 64 * 1024
    for (let offset = 0; offset < hugeBody.length && !res.destroyed; offset += chunk) {
      res.write(hugeBody.slice(offset, offset + chunk))
    }
    res.end()
  },
  [REDIRECT]: (res) => {
    res.writeHead(302, { location: `${decoyUrl}/api/v2/regions/${HEALTHY_A}/images` })
    res.end()
  },
}

let flakyCalls = 0
let upstream: RunningFakeUpstream
let gateway: RunningGateway

beforeAll(async () => {
  decoy = createServer((_req, res) => {
    decoyRequests++
    res.end('[]')
  })
  await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve))
  decoyUrl = `http://127.0.0.1:${(decoy.address() as AddressInfo).port}`

  upstream = await startFakeUpstream(
    {
      regions: [HEALTHY_A, HEALTHY_B, FLAKY_503].map((id) => makeRegion(id, id.slice(-4))),
      images: healthyImages,
    },
    {
      intercept: async (request, res) => {
        const regionId = /\/regions\/([^/]+)\/images$/.exec(request.path)?.[1]
        if (regionId === FLAKY_503 && flakyCalls++ === 0) {
          res.setHeader('retry-after', '1')
          sendError(res, 503, 'server_error', 'restarting', 'trace-503')
          return true
        }
        const fault = regionId ? faults[regionId] : undefined
        if (!fault) return false
        await fault(res, request)
        return true
      },
    },
  )
  gateway = await startGateway(upstream.url, {
    upstreamTimeoutMs: TIMEOUT_MS,
    upstreamMaxBodyBytes: MAX_BODY_BYTES,
    resilience: {
      ...TEST_RESILIENCE,
      operationDeadlineMs: 8000,
      retries: 2,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 2000,
    },
  })
})

afterAll(async () => {
  await gateway.close()
  await upstream.close()
  decoy.closeAllConnections()
  await new Promise<void>((resolve) => decoy.close(() => resolve()))
})

interface Outcome {
  regionId: string
  ok: boolean
  imageCount: number
  error: { code: string; message: string; status: number | null; traceId: string | null } | null
}

const ALL_REGIONS = [
  HEALTHY_A,
  SLOW,
  ERROR_500,
  FLAKY_503,
  RESET,
  NOT_JSON,
  WRONG_SHAPE,
  UNAUTHORIZED,
  FORBIDDEN,
  MISSING,
  HUGE,
  HUGE_CHUNKED,
  REDIRECT,
  ERROR_BODY_CUT,
  HEALTHY_B,
]

describe('one multi-region query with a different fault in every region', () => {
  let status: number
  let body: Awaited<ReturnType<RunningGateway['query']>>['body']
  let outcomes: Map<string, Outcome>

  beforeAll(async () => {
    const response = await gateway.query<{
      images: { totalCount: number; nodes: { regionId: string; imageId: string }[]; regions: Outcome[] }
    }>(
      `query Faults($ids: [ID!]!) { images(regionIds: $ids, first: 500) {
        totalCount
        nodes { regionId imageId }
        regions { regionId ok imageCount error { code message status traceId } }
      } }`,
      { ids: ALL_REGIONS },
    )
    status = response.status
    body = response.body
    const images = response.body.data?.images as { regions: Outcome[] } | undefined
    outcomes = new Map((images?.regions ?? []).map((outcome) => [outcome.regionId, outcome]))
  })

  it('answers 200 with data and no top-level error: failures stay per region', () => {
    expect(status).toBe(200)
    expect(body.errors).toBeUndefined()
    expect([...outcomes.keys()]).toEqual(ALL_REGIONS)
  })

  it('returns every image of the healthy regions (and of the region that recovered on retry)', () => {
    const images = (
      body.data as { images: { totalCount: number; nodes: { regionId: string; imageId: string }[] } }
    ).images
    const expected = Object.entries(healthyImages).flatMap(([regionId, list]) =>
      list.map((image) => `${regionId}/${image.metadata.id}`),
    )
    expect(images.totalCount).toBe(expected.length)
    expect(images.nodes.map((node) => `${node.regionId}/${node.imageId}`).sort()).toEqual(expected.sort())
    for (const regionId of [HEALTHY_A, HEALTHY_B, FLAKY_503]) {
      expect(outcomes.get(regionId)).toEqual({
        regionId,
        ok: true,
        imageCount: healthyImages[regionId]?.length,
        error: null,
      })
    }
  })

  it.each([
    ['slow beyond the timeout', SLOW, 'UPSTREAM_TIMEOUT', null, null, /within 1500 ms/],
    ['500 with trace_id', ERROR_500, 'UPSTREAM_ERROR', 500, 'trace-500', /HTTP 500/],
    ['connection reset', RESET, 'UPSTREAM_UNAVAILABLE', null, null, /could not be reached/],
    ['non-JSON body', NOT_JSON, 'UPSTREAM_INVALID_RESPONSE', 200, null, /not JSON/],
    ['JSON of the wrong shape', WRONG_SHAPE, 'UPSTREAM_INVALID_RESPONSE', 200, null, /must be array/],
    ['401', UNAUTHORIZED, 'UNAUTHENTICATED', 401, 'trace-401', /HTTP 401/],
    ['403', FORBIDDEN, 'FORBIDDEN', 403, 'trace-403', /HTTP 403/],
    ['404', MISSING, 'NOT_FOUND', 404, 'trace-404', /HTTP 404/],
    ['a 5 MB answer', HUGE, 'UPSTREAM_INVALID_RESPONSE', 200, null, /larger than 4194304 bytes/],
    ['a 5 MB streamed answer', HUGE_CHUNKED, 'UPSTREAM_INVALID_RESPONSE', 200, null, /larger than/],
    ['a redirect elsewhere', REDIRECT, 'UPSTREAM_ERROR', 302, null, /HTTP 302/],
    ['a 500 whose body breaks off', ERROR_BODY_CUT, 'UPSTREAM_ERROR', 500, null, /HTTP 500\)$/],
  ])('reports %s as %s for that region only', (_fault, regionId, code, httpStatus, traceId, message) => {
    const outcome = outcomes.get(regionId)
    expect(outcome).toMatchObject({
      regionId,
      ok: false,
      imageCount: 0,
      error: { code, status: httpStatus, traceId },
    })
    expect(outcome?.error?.message).toMatch(message)
    expect(outcome?.error?.message).toContain(regionId)
  })

  it('retries only connection failures and 502/503/504, honouring Retry-After', () => {
    const flaky = imageCalls(upstream, FLAKY_503)
    expect(flaky).toHaveLength(2)
    // Retry-After: 1 is a floor for the wait (setTimeout may round down by a millisecond).
    expect((flaky[1]?.startedAt ?? 0) - (flaky[0]?.startedAt ?? 0)).toBeGreaterThanOrEqual(990)
    expect(imageCalls(upstream, RESET)).toHaveLength(3)
    for (const regionId of [SLOW, ERROR_500, NOT_JSON, WRONG_SHAPE, UNAUTHORIZED, FORBIDDEN, MISSING, HUGE]) {
      expect(imageCalls(upstream, regionId)).toHaveLength(1)
    }
  })

  it('never follows a redirect: the token goes to the configured origin only', () => {
    expect(decoyRequests).toBe(0)
  })

  it('shows only what the gateway writes, never the upstream text (which echoes the token)', () => {
    expect(outcomes.get(UNAUTHORIZED)?.error?.message).toBe(
      `The Region Service rejected the bearer token for region ${UNAUTHORIZED} (HTTP 401, access_denied)`,
    )
    expect(JSON.stringify(body)).not.toContain(TOKEN)
    expect(JSON.stringify(body)).not.toContain('token rejected')
  })

  it('logs every attempt with region, status and duration, and never the token', () => {
    const attempts = gateway.logs.records.filter(
      (record) => record.msg === 'upstream call' || record.msg === 'upstream call failed',
    )
    const reset = attempts.filter((record) => (record.upstream as { regionId?: string }).regionId === RESET)
    expect(reset.map((record) => (record.upstream as { attempt: number }).attempt)).toEqual([1, 2, 3])
    expect(reset.slice(0, 2).every((record) => typeof record.retryInMs === 'number')).toBe(true)
    const requestLine = gateway.logs.records.find((record) => record.operationName === 'Faults')
    expect(requestLine).toMatchObject({ upstreamCalls: attempts.length, status: 200 })
    expect(gateway.logs.lines.join('\n')).not.toContain(TOKEN)
  })
})

describe('a failing region asked for alone', () => {
  it.each([
    [SLOW, 'UPSTREAM_TIMEOUT', undefined, undefined],
    [ERROR_500, 'UPSTREAM_ERROR', 500, 'trace-500'],
    [RESET, 'UPSTREAM_UNAVAILABLE', undefined, undefined],
    [NOT_JSON, 'UPSTREAM_INVALID_RESPONSE', 200, undefined],
    [UNAUTHORIZED, 'UNAUTHENTICATED', 401, 'trace-401'],
    [HUGE, 'UPSTREAM_INVALID_RESPONSE', 200, undefined],
  ])(
    'fails region(%s).images with %s and the region id in extensions',
    async (regionId, code, status, traceId) => {
      const { body } = await gateway.query(`query($id: ID!) { region(id: $id) { images { totalCount } } }`, {
        id: regionId,
      })
      expect(body.errors).toHaveLength(1)
      const [error] = body.errors ?? []
      expect(error?.path).toEqual(['region', 'images'])
      expect(error?.extensions).toEqual({
        code,
        regionId,
        ...(status === undefined ? {} : { status }),
        ...(traceId === undefined ? {} : { traceId }),
      })
    },
  )
})

describe('an upstream that refuses connections', () => {
  it('reports UPSTREAM_UNAVAILABLE per region after the retries', async () => {
    const port = await freeLoopbackPort()
    const refused = await startGateway(`http://127.0.0.1:${port}`, {
      resilience: { ...TEST_RESILIENCE, retries: 2, retryBaseDelayMs: 5 },
    })
    try {
      const { body } = await refused.query<{ images: { regions: Outcome[] } }>(
        `query($ids: [ID!]!) { images(regionIds: $ids) { totalCount regions { regionId ok error { code status } } } }`,
        { ids: [HEALTHY_A, HEALTHY_B] },
      )
      expect(body.errors).toBeUndefined()
      expect(body.data?.images.regions).toEqual([
        { regionId: HEALTHY_A, ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', status: null } },
        { regionId: HEALTHY_B, ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', status: null } },
      ])
      const attempts = refused.logs.records.filter((record) => record.msg === 'upstream call failed')
      expect(attempts).toHaveLength(6)
      expect(refused.logs.lines.join('\n')).not.toContain(TOKEN)
    } finally {
      await refused.close()
    }
  })
})

describe('the per-region circuit breaker', () => {
  it('fails fast while a region keeps failing, then probes it again', async () => {
    const BROKEN = uuid(1, 'c')
    const FINE = uuid(2, 'c')
    let broken = true
    const service = await startFakeUpstream(
      {
        regions: [makeRegion(BROKEN, 'broken'), makeRegion(FINE, 'fine')],
        images: { [FINE]: imagesOf('fine', 3) },
      },
      {
        intercept: (request, res) => {
          if (!broken || !request.path.includes(BROKEN)) return false
          sendError(res, 500, 'server_error', 'down', 'trace-down')
          return true
        },
      },
    )
    const clock = { ms: 0 }
    const breaking = await startGateway(service.url, {
      resilience: { ...TEST_RESILIENCE, retries: 0, breakerFailureThreshold: 2, breakerCooldownMs: 1000 },
      runtime: { now: () => clock.ms },
    })
    // Callers take turns: failures of more than one caller open the region for everyone.
    let turn = 0
    const outcomes = async () => {
      const { body } = await breaking.query<{ images: { regions: Outcome[] } }>(
        `query($ids: [ID!]!) { images(regionIds: $ids) { regions { regionId ok imageCount error { code status } } } }`,
        { ids: [BROKEN, FINE] },
        { token: `caller-${turn++}` },
      )
      return body.data?.images.regions
    }
    const fine = { regionId: FINE, ok: true, imageCount: 3, error: null }
    try {
      for (let call = 0; call < 2; call++) {
        expect(await outcomes()).toEqual([
          { regionId: BROKEN, ok: false, imageCount: 0, error: { code: 'UPSTREAM_ERROR', status: 500 } },
          fine,
        ])
      }
      expect(imageCalls(service, BROKEN)).toHaveLength(2)

      // Open: the region is not asked at all; the healthy one still is.
      expect(await outcomes()).toEqual([
        { regionId: BROKEN, ok: false, imageCount: 0, error: { code: 'UPSTREAM_UNAVAILABLE', status: null } },
        fine,
      ])
      expect(imageCalls(service, BROKEN)).toHaveLength(2)
      expect(imageCalls(service, FINE)).toHaveLength(3)

      // After the cool-down one probe goes through; the region has recovered, so it closes.
      broken = false
      clock.ms += 999
      expect((await outcomes())?.[0]).toMatchObject({ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE' } })
      expect(imageCalls(service, BROKEN)).toHaveLength(2)
      clock.ms += 1
      expect(await outcomes()).toEqual([{ regionId: BROKEN, ok: true, imageCount: 0, error: null }, fine])
      expect(await outcomes()).toEqual([{ regionId: BROKEN, ok: true, imageCount: 0, error: null }, fine])
      expect(imageCalls(service, BROKEN)).toHaveLength(4)
      const transitions = breaking.logs.records
        .filter((record) => record.circuit !== undefined && record.scope === 'region')
        .map((record) => record.circuit)
      expect(transitions).toEqual(['open', 'half-open', 'closed'])
      // The calls the open circuit stopped log the code metrics and traces give them.
      const skipped = breaking.logs.records.filter(
        (record) => record.msg === 'upstream call skipped: circuit open',
      )
      expect(skipped.length).toBeGreaterThan(0)
      for (const record of skipped)
        expect(record).toMatchObject({
          upstream: { regionId: BROKEN, failure: 'circuit-open' },
          stoppedBy: 'region',
        })
    } finally {
      await breaking.close()
      await service.close()
    }
  })
})

describe('concurrency caps and the operation deadline', () => {
  /** A fake upstream that answers after `latencyMs` and records the most calls it saw at once. */
  async function countingUpstream(regionIds: readonly string[], latencyMs: number) {
    let inFlight = 0
    const peak = { value: 0 }
    const service = await startFakeUpstream(
      { regions: regionIds.map((id) => makeRegion(id, id.slice(-4))), images: {} },
      {
        intercept: async (_request, res) => {
          inFlight++
          peak.value = Math.max(peak.value, inFlight)
          res.once('close', () => inFlight--)
          await sleep(latencyMs)
          return false
        },
      },
    )
    return { service, peak }
  }

  it('caps the upstream calls of one operation', async () => {
    const regions = Array.from({ length: 8 }, (_, index) => uuid(100 + index, 'd'))
    const { service, peak } = await countingUpstream(regions, 100)
    const capped = await startGateway(service.url, {
      resilience: { ...TEST_RESILIENCE, maxConcurrencyPerOperation: 3 },
    })
    try {
      const { body } = await capped.query<{ images: { regions: { ok: boolean }[] } }>(
        `query($ids: [ID!]!) { images(regionIds: $ids) { regions { ok } } }`,
        { ids: regions },
      )
      expect(body.data?.images.regions.every((region) => region.ok)).toBe(true)
      expect(imageCalls(service)).toHaveLength(8)
      expect(peak.value).toBe(3)
    } finally {
      await capped.close()
      await service.close()
    }
  })

  it('caps the upstream calls of all operations together', async () => {
    const regions = Array.from({ length: 6 }, (_, index) => uuid(200 + index, 'd'))
    const { service, peak } = await countingUpstream(regions, 100)
    const capped = await startGateway(service.url, {
      resilience: { ...TEST_RESILIENCE, maxConcurrency: 4, maxConcurrencyPerOperation: 6 },
    })
    try {
      const answers = await Promise.all(
        // Three callers: identical calls of one caller would be coalesced into one.
        [0, 1, 2].map((caller) =>
          capped.query<{ images: { regions: { ok: boolean }[] } }>(
            `query($ids: [ID!]!) { images(regionIds: $ids) { regions { ok } } }`,
            { ids: regions },
            { token: `caller-${caller}` },
          ),
        ),
      )
      for (const { body } of answers)
        expect(body.data?.images.regions.every((region) => region.ok)).toBe(true)
      expect(imageCalls(service)).toHaveLength(18)
      expect(peak.value).toBe(4)
    } finally {
      await capped.close()
      await service.close()
    }
  })

  it('stops all upstream work of an operation at its deadline', async () => {
    const FAST = uuid(300, 'd')
    const HANGING = uuid(301, 'd')
    const QUEUED = uuid(302, 'd')
    const service = await startFakeUpstream(
      { regions: [FAST, HANGING, QUEUED].map((id) => makeRegion(id, id.slice(-4))), images: {} },
      {
        intercept: (request, res) => {
          if (!request.path.includes(HANGING)) return false
          // Never answers; the gateway must give up on its own.
          res.once('close', () => undefined)
          return true
        },
      },
    )
    const deadlined = await startGateway(service.url, {
      upstreamTimeoutMs: 1000,
      resilience: { ...TEST_RESILIENCE, operationDeadlineMs: 1000, maxConcurrencyPerOperation: 1 },
    })
    try {
      const { body } = await deadlined.query<{ images: { regions: Outcome[] } }>(
        `query($ids: [ID!]!) { images(regionIds: $ids) { regions { regionId ok error { code message } } } }`,
        { ids: [FAST, HANGING, QUEUED] },
      )
      const regions = body.data?.images.regions ?? []
      expect(regions.map((region) => [region.ok, region.error?.code ?? null])).toEqual([
        [true, null],
        [false, 'UPSTREAM_TIMEOUT'],
        [false, 'UPSTREAM_TIMEOUT'],
      ])
      expect(regions[2]?.error?.message).toMatch(/deadline of 1000 ms/)
    } finally {
      await deadlined.close()
      await service.close()
    }
  })
})
