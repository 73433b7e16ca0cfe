import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sendError } from '../src/demo/region-service.js'
import { GatewayMetrics } from '../src/observability/metrics.js'
import { operationOutcome } from '../src/observability/operation.js'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, ORG_B, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway, TEST_RESILIENCE, TOKEN } from './helpers/harness.js'
import { type MetricFamily, parsePrometheusText, total, value } from './helpers/prometheus.js'

const ALPHA = uuid(1)
const BETA = uuid(2)
const BROKEN = uuid(3)
const HELD = uuid(4)
const UNKNOWN = uuid(99)

let upstream: RunningFakeUpstream
let gateway: RunningGateway
let releaseHeld: (() => void) | undefined
let heldArrived: (() => void) | undefined

beforeAll(async () => {
  upstream = await startFakeUpstream(
    {
      regions: [
        makeRegion(ALPHA, 'alpha'),
        makeRegion(BETA, 'beta'),
        makeRegion(BROKEN, 'broken'),
        makeRegion(HELD, 'held'),
      ],
      images: {
        [ALPHA]: [makeImage({ name: 'debian-12' }), makeImage({ name: 'rocky-9', owner: ORG_A })],
        [BETA]: [makeImage({ name: 'ubuntu-24.04' })],
        [HELD]: [makeImage({ name: 'slow-image' })],
      },
    },
    {
      intercept: async (request, res) => {
        if (request.path.includes(BROKEN)) {
          sendError(res, 500, 'server_error', 'boom', 'trace-broken')
          return true
        }
        if (request.path.includes(HELD)) {
          // Hold the answer until the test has looked at the in-flight gauges.
          await new Promise<void>((resolve) => {
            releaseHeld = resolve
            heldArrived?.()
          })
        }
        return false
      },
    },
  )
  gateway = await startGateway(upstream.url)
})

afterAll(async () => {
  releaseHeld?.()
  await gateway.close()
  await upstream.close()
})

beforeEach(() => {
  upstream.requests.length = 0
})

async function scrape(): Promise<{ text: string; families: Map<string, MetricFamily>; response: Response }> {
  const response = await fetch(`${gateway.url}/metrics`)
  const text = await response.text()
  return { text, families: parsePrometheusText(text), response }
}

const LIST_THEM = `query ListThem($ids: [ID!]!, $orgs: [ID!]) {
  images(regionIds: $ids, organizationIds: $orgs) { totalCount regions { regionId ok } }
}`

describe('GET /metrics', () => {
  it('counts operations by name and outcome, with a duration histogram per name', async () => {
    const before = (await scrape()).families
    const count = (families: Map<string, MetricFamily>, labels: Record<string, string>) =>
      total(families, 'gateway_graphql_operations_total', labels)
    const durations = (families: Map<string, MetricFamily>, name: string) =>
      total(families, 'gateway_graphql_operation_duration_seconds_count', { operation_name: name })

    for (let run = 0; run < 3; run++) {
      const { body } = await gateway.query(LIST_THEM, { ids: [ALPHA, BETA], orgs: [ORG_A, ORG_B] })
      expect(body.errors).toBeUndefined()
    }
    // Anonymous, and failing as a whole (a region id that is no UUID: data is null).
    const failed = await gateway.query('{ region(id: "not-a-uuid") { images { totalCount } } }')
    expect(failed.body.data).toBeNull()
    // Anonymous, and partly failed: the unknown region's images are null, the rest answers.
    const partial = await gateway.query(
      `{ gateway { version } region(id: "${UNKNOWN}") { images { totalCount } } }`,
    )
    expect(partial.body.data).toMatchObject({ region: { images: null } })
    // Never executed: does not validate. Its claimed name must not become a label value.
    const rejected = await gateway.query('query Bogus_Name_7f3a { nope }')
    expect(rejected.body.errors?.[0]?.message).toMatch(/Cannot query field "nope"/)
    // Executed, and failed: without a token every region answers UNAUTHENTICATED.
    const noToken = await gateway.query(
      `query NoToken { images(regionIds: ["${ALPHA}"]) { totalCount } }`,
      {},
      { token: null },
    )
    expect(noToken.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')

    const { families, text, response } = await scrape()
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(count(families, { operation_name: 'ListThem', outcome: 'success' })).toBe(
      count(before, { operation_name: 'ListThem', outcome: 'success' }) + 3,
    )
    expect(durations(families, 'ListThem')).toBe(durations(before, 'ListThem') + 3)
    expect(count(families, { operation_name: 'anonymous', outcome: 'error' })).toBe(
      count(before, { operation_name: 'anonymous', outcome: 'error' }) + 1,
    )
    expect(count(families, { operation_name: 'anonymous', outcome: 'partial' })).toBe(
      count(before, { operation_name: 'anonymous', outcome: 'partial' }) + 1,
    )
    expect(count(families, { operation_name: 'other', outcome: 'rejected' })).toBe(
      count(before, { operation_name: 'other', outcome: 'rejected' }) + 1,
    )
    expect(count(families, { operation_name: 'NoToken', outcome: 'error' })).toBe(
      count(before, { operation_name: 'NoToken', outcome: 'error' }) + 1,
    )
    expect(text).not.toContain('Bogus_Name_7f3a')
    expect(value(families, 'gateway_graphql_operations_in_flight')).toBe(0)
  })

  it('counts upstream calls by region, status and outcome, with a duration histogram per region', async () => {
    const before = (await scrape()).families
    const calls = (families: Map<string, MetricFamily>, labels: Record<string, string>) =>
      total(families, 'gateway_upstream_requests_total', labels)
    const durations = (families: Map<string, MetricFamily>, region: string) =>
      total(families, 'gateway_upstream_request_duration_seconds_count', { region })

    await gateway.query(LIST_THEM, { ids: [ALPHA, BETA, BROKEN, UNKNOWN] })
    await gateway.query(LIST_THEM, { ids: [ALPHA] })
    expect(upstream.requests).toHaveLength(5)

    const { families, text } = await scrape()
    const delta = (labels: Record<string, string>) => calls(families, labels) - calls(before, labels)
    expect(delta({ region: ALPHA, operation: 'listImages', status: '200', outcome: 'ok' })).toBe(2)
    expect(delta({ region: BETA, status: '200', outcome: 'ok' })).toBe(1)
    expect(delta({ region: BROKEN, status: '500', outcome: 'upstream_error' })).toBe(1)
    // An id the Region Service does not know never becomes a label value of its own.
    expect(delta({ region: 'unverified', status: '404', outcome: 'not_found' })).toBe(1)
    expect(text).not.toContain(UNKNOWN)
    expect(durations(families, ALPHA) - durations(before, ALPHA)).toBe(2)
    expect(durations(families, BROKEN) - durations(before, BROKEN)).toBe(1)
    expect(value(families, 'gateway_upstream_requests_in_flight')).toBe(0)
  })

  it('counts a call its open circuit stopped as circuit_open, without timing it', async () => {
    const tripping = await startGateway(upstream.url, {
      resilience: { ...TEST_RESILIENCE, breakerFailureThreshold: 2 },
    })
    try {
      const outcome = `query Outcome($ids: [ID!]!) { images(regionIds: $ids) { regions { error { code } } } }`
      for (let run = 0; run < 3; run++) {
        const { body } = await tripping.query<{ images: { regions: { error: { code: string } }[] } }>(
          outcome,
          { ids: [BROKEN] },
        )
        expect(body.data?.images.regions[0]?.error.code).toBe(
          run < 2 ? 'UPSTREAM_ERROR' : 'UPSTREAM_UNAVAILABLE',
        )
      }
      // The third call failed fast: two reached the Region Service.
      expect(imageCalls(upstream, BROKEN)).toHaveLength(2)
      const families = parsePrometheusText(await (await fetch(`${tripping.url}/metrics`)).text())
      const calls = (labels: Record<string, string>) =>
        total(families, 'gateway_upstream_requests_total', { region: BROKEN, ...labels })
      expect(calls({ status: '500', outcome: 'upstream_error' })).toBe(2)
      expect(calls({ status: 'none', outcome: 'circuit_open' })).toBe(1)
      expect(calls({})).toBe(3)
      expect(total(families, 'gateway_upstream_request_duration_seconds_count', { region: BROKEN })).toBe(2)
    } finally {
      await tripping.close()
    }
  })

  it('shows operations and upstream calls in flight while they wait', async () => {
    const arrived = new Promise<void>((resolve) => {
      heldArrived = resolve
    })
    const pending = gateway.query(LIST_THEM, { ids: [HELD] })
    await arrived
    const during = (await scrape()).families
    expect(value(during, 'gateway_graphql_operations_in_flight')).toBe(1)
    expect(value(during, 'gateway_upstream_requests_in_flight')).toBe(1)
    releaseHeld?.()
    expect((await pending).body.errors).toBeUndefined()
    const after = (await scrape()).families
    expect(value(after, 'gateway_graphql_operations_in_flight')).toBe(0)
    expect(value(after, 'gateway_upstream_requests_in_flight')).toBe(0)
  })

  it('exposes retries and circuit state through the upstream hook, and the process metrics', async () => {
    // The retry path and the breaker report through the client's observer; drive it directly.
    const observer = gateway.gateway.metrics.upstreamObserver
    const scope = observer.callStarted({
      operation: 'listImages',
      regionId: ALPHA,
      method: 'GET',
      pathTemplate: '/api/v2/regions/{regionID}/images',
      requestId: 'r',
    })
    scope.retrying?.(2, 'HTTP 503')
    scope.retrying?.(3, 'HTTP 503')
    scope.finished({ operation: 'listImages', regionId: ALPHA, status: 200, durationMs: 3 })
    observer.circuitStateChanged?.(BROKEN, 'open')
    observer.circuitStateChanged?.(ALPHA, 'half_open')
    observer.circuitStateChanged?.(UNKNOWN, 'open')

    const { families, text } = await scrape()
    expect(
      value(families, 'gateway_upstream_retries_total', { region: ALPHA, operation: 'listImages' }),
    ).toBe(2)
    expect(value(families, 'gateway_upstream_circuit_state', { region: BROKEN })).toBe(2)
    expect(value(families, 'gateway_upstream_circuit_state', { region: ALPHA })).toBe(1)
    expect(text).not.toContain(UNKNOWN)
    expect(value(families, 'gateway_build_info', { version: '0.1.0' })).toBe(1)
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(value(families, name)).toBeGreaterThan(0)
    }
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge')
  })

  it('reports what every bounded store holds and its bound, in bytes', async () => {
    // Two identical answers: the memo keeps the second; a parsed document stays in its cache.
    for (let call = 0; call < 2; call++) {
      await gateway.query(LIST_THEM, { ids: [BETA] }, { token: `memory-${call}` })
    }
    const { families } = await scrape()
    const held = (holder: string) => value(families, 'gateway_memory_bytes', { holder })
    const bound = (holder: string) => value(families, 'gateway_memory_limit_bytes', { holder })
    for (const holder of ['documents', 'answer_memo', 'persisted_documents']) {
      expect(held(holder)).toBeGreaterThan(0)
      expect(held(holder)).toBeLessThanOrEqual(bound(holder))
    }
    expect(bound('documents')).toBe(32 * 1024 * 1024)
    expect(bound('upstream_buffers')).toBe(32 * 1024 * 1024)
    // Nothing is being read between requests, and the response cache is off.
    expect(held('upstream_buffers')).toBe(0)
    expect([held('response_cache'), bound('response_cache')]).toEqual([0, 0])
  })

  it('never carries a token, an organization id or a request id', async () => {
    await gateway.query(
      LIST_THEM,
      { ids: [ALPHA], orgs: [ORG_A] },
      { headers: { 'x-request-id': 'req-metrics-1' } },
    )
    const { text } = await scrape()
    for (const secret of [TOKEN, ORG_A, 'req-metrics-1', 'Bearer']) expect(text).not.toContain(secret)
  })

  it('answers only GET and HEAD, and is not counted or logged as a request', async () => {
    const post = await fetch(`${gateway.url}/metrics`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const head = await fetch(`${gateway.url}/metrics`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    gateway.logs.lines.length = 0
    const before = total((await scrape()).families, 'gateway_graphql_operations_total')
    const after = total((await scrape()).families, 'gateway_graphql_operations_total')
    expect(after).toBe(before)
    expect(gateway.logs.records.filter((record) => record.msg === 'request')).toEqual([])
  })
})

describe('label values stay bounded', () => {
  it('admits operation names first come up to the cap, then counts them as "other"', () => {
    const metrics = new GatewayMetrics({ maxOperationNames: 2 })
    expect(metrics.operationLabel('First')).toBe('First')
    expect(metrics.operationLabel('Second')).toBe('Second')
    expect(metrics.operationLabel('Third')).toBe('other')
    expect(metrics.operationLabel('First')).toBe('First')
    expect(metrics.operationLabel(undefined)).toBe('anonymous')
    expect(metrics.operationLabel('x'.repeat(101))).toBe('other')
  })

  it('gives a region id a label only once the Region Service answered for it with 2xx or 5xx', () => {
    const metrics = new GatewayMetrics({ maxRegions: 2 })
    expect(metrics.regionLabel(ALPHA, 404)).toBe('unverified')
    expect(metrics.regionLabel(ALPHA, 401)).toBe('unverified')
    expect(metrics.regionLabel(ALPHA, undefined)).toBe('unverified')
    expect(metrics.regionLabel(ALPHA, 200)).toBe(ALPHA)
    expect(metrics.regionLabel(ALPHA, undefined)).toBe(ALPHA)
    expect(metrics.regionLabel(BETA, 503)).toBe(BETA)
    expect(metrics.regionLabel(BROKEN, 200)).toBe('other')
    expect(metrics.regionLabel(undefined)).toBe('none')
  })

  it('tells success, partial, error and rejected apart', () => {
    expect(operationOutcome({ data: { a: 1 } }, true)).toBe('success')
    expect(operationOutcome({ data: { a: 1, b: null }, errors: [{}] }, true)).toBe('partial')
    expect(operationOutcome({ data: null, errors: [{}] }, true)).toBe('error')
    expect(operationOutcome({ data: { a: null }, errors: [{}] }, true)).toBe('error')
    expect(operationOutcome({ errors: [{}] }, false)).toBe('rejected')
  })
})

describe('the exposition parser used above', () => {
  const valid =
    '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n'

  it('accepts a well-formed histogram', () => {
    expect(value(parsePrometheusText(valid), 'h_count')).toBe(2)
  })

  it.each([
    ['an undeclared family', `${valid}other 1\n`],
    ['a repeated series', '# TYPE c counter\nc 1\nc 2\n'],
    ['a missing +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    [
      'non-cumulative buckets',
      valid.replace('le="+Inf"} 2', 'le="+Inf"} 0').replace('h_count 2', 'h_count 0'),
    ],
    ['a +Inf bucket unlike _count', valid.replace('h_count 2', 'h_count 5')],
    ['an unquoted label value', '# TYPE c counter\nc{a=b} 1\n'],
    ['a bad escape', '# TYPE c counter\nc{a="\\x"} 1\n'],
    ['a bad value', '# TYPE c counter\nc one\n'],
    ['a negative counter', '# TYPE c counter\nc -1\n'],
    ['no final newline', '# TYPE c counter\nc 1'],
  ])('rejects %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow()
  })
})
