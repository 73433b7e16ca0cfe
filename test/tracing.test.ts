import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { TracingConfig } from '../src/config.js'
import { sendError } from '../src/demo/region-service.js'
import type { GatewayTracing } from '../src/observability/tracing.js'
import { startTracing } from '../src/observability/tracing-sdk.js'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway, TEST_RESILIENCE, TOKEN } from './helpers/harness.js'

const ALPHA = uuid(1)
const BETA = uuid(2)
const BROKEN = uuid(3)
const UNKNOWN = uuid(99)

const CONFIG: TracingConfig = {
  exporter: 'otlp',
  endpoint: 'http://127.0.0.1:9/v1/traces',
  protocol: 'http/protobuf',
  headers: {},
  serviceName: 'images-gateway-test',
  resourceAttributes: { 'deployment.environment.name': 'test' },
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
}

const exporter = new InMemorySpanExporter()
let tracing: GatewayTracing
let upstream: RunningFakeUpstream
let gateway: RunningGateway

beforeAll(async () => {
  tracing = startTracing({
    config: CONFIG,
    serviceVersion: '0.1.0',
    spanProcessor: new SimpleSpanProcessor(exporter),
  })
  upstream = await startFakeUpstream(
    {
      regions: [makeRegion(ALPHA, 'alpha'), makeRegion(BETA, 'beta'), makeRegion(BROKEN, 'broken')],
      images: { [ALPHA]: [makeImage({ name: 'debian-12' })], [BETA]: [makeImage({ name: 'alma-9' })] },
    },
    {
      intercept: (request, res) => {
        if (!request.path.includes(BROKEN)) return false
        sendError(res, 500, 'server_error', 'boom', 'trace-from-upstream')
        return true
      },
    },
  )
  gateway = await startGateway(upstream.url, { runtime: { tracing } })
})

afterAll(async () => {
  await gateway.close()
  await upstream.close()
  await tracing.shutdown()
})

beforeEach(() => {
  exporter.reset()
  upstream.requests.length = 0
  gateway.logs.lines.length = 0
})

const MULTI = `query Multi($ids: [ID!]!, $orgs: [ID!]) {
  images(regionIds: $ids, organizationIds: $orgs) { totalCount nodes { id name os { distro } } regions { ok } }
}`

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

function byKind(spans: ReadableSpan[], kind: SpanKind) {
  return spans.filter((span) => span.kind === kind)
}

describe('tracing', () => {
  it('makes a span per request, per operation and per upstream call, linked parent to child', async () => {
    const { body } = await gateway.query(
      MULTI,
      { ids: [ALPHA, BETA, BROKEN, UNKNOWN], orgs: [ORG_A] },
      { headers: { 'x-request-id': 'req-trace-1' } },
    )
    expect(body.errors).toBeUndefined()
    const spans = exporter.getFinishedSpans()

    const [server] = byKind(spans, SpanKind.SERVER)
    const [operation] = byKind(spans, SpanKind.INTERNAL)
    const clients = byKind(spans, SpanKind.CLIENT)
    // Nothing else: no span per resolver, however many scalar fields the query selects.
    expect(spans).toHaveLength(2 + 4)
    expect(clients).toHaveLength(4)

    expect(server?.name).toBe('POST /graphql')
    expect(server?.parentSpanContext).toBeUndefined()
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'gateway.request.id': 'req-trace-1',
    })
    expect(operation?.name).toBe('query Multi')
    expect(operation?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId)
    expect(operation?.attributes).toMatchObject({
      'graphql.operation.name': 'Multi',
      'graphql.operation.type': 'query',
      'gateway.operation.outcome': 'success',
    })

    const traceId = server?.spanContext().traceId
    for (const span of spans) expect(span.spanContext().traceId).toBe(traceId)
    for (const client of clients) {
      expect(client.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId)
      expect(client.name).toBe('GET /api/v2/regions/{regionID}/images')
    }
    const clientOf = (regionId: string) =>
      clients.find((span) => span.attributes['gateway.region.id'] === regionId)
    expect(clientOf(ALPHA)?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.template': '/api/v2/regions/{regionID}/images',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'gateway.upstream.operation': 'listImages',
    })
    expect(clientOf(ALPHA)?.status.code).toBe(SpanStatusCode.UNSET)
    expect(clientOf(BROKEN)?.attributes).toMatchObject({
      'http.response.status_code': 500,
      'error.type': 'UPSTREAM_ERROR',
      'gateway.upstream.trace_id': 'trace-from-upstream',
    })
    expect(clientOf(BROKEN)?.status.code).toBe(SpanStatusCode.ERROR)
    expect(clientOf(UNKNOWN)?.attributes).toMatchObject({
      'http.response.status_code': 404,
      'error.type': 'NOT_FOUND',
    })
    expect(server?.resource.attributes).toMatchObject({
      'service.name': 'images-gateway-test',
      'service.version': '0.1.0',
      'deployment.environment.name': 'test',
    })
  })

  it('marks a call its open circuit stopped as CIRCUIT_OPEN, without a status', async () => {
    const tripping = await startGateway(upstream.url, {
      runtime: { tracing },
      resilience: { ...TEST_RESILIENCE, breakerFailureThreshold: 1 },
    })
    try {
      for (let run = 0; run < 2; run++) await tripping.query(MULTI, { ids: [BROKEN] })
      // The first call opened the circuit; the second was never sent.
      expect(imageCalls(upstream, BROKEN)).toHaveLength(1)
      const [sent, stopped] = byKind(exporter.getFinishedSpans(), SpanKind.CLIENT)
      expect(sent?.attributes).toMatchObject({
        'http.response.status_code': 500,
        'error.type': 'UPSTREAM_ERROR',
      })
      expect(stopped?.attributes['error.type']).toBe('CIRCUIT_OPEN')
      expect(stopped?.attributes['http.response.status_code']).toBeUndefined()
      expect(stopped?.status.code).toBe(SpanStatusCode.ERROR)
    } finally {
      await tripping.close()
    }
  })

  it('sends the upstream a traceparent of the same trace, naming its call span, and the request id', async () => {
    await gateway.query(MULTI, { ids: [ALPHA, BETA] }, { headers: { 'x-request-id': 'req-trace-2' } })
    const spans = exporter.getFinishedSpans()
    const traceId = byKind(spans, SpanKind.SERVER)[0]?.spanContext().traceId
    const calls = imageCalls(upstream)
    expect(calls).toHaveLength(2)
    for (const call of calls) {
      const regionId = call.path.split('/')[4]
      const sent = TRACEPARENT.exec(String(call.headers.traceparent))
      expect(sent?.[1]).toBe(traceId)
      const span = spans.find((candidate) => candidate.attributes['gateway.region.id'] === regionId)
      expect(sent?.[2]).toBe(span?.spanContext().spanId)
      expect(call.headers['x-request-id']).toBe('req-trace-2')
    }
  })

  it("continues the caller's trace when it sends a traceparent", async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpan = '00f067aa0ba902b7'
    await gateway.query(
      MULTI,
      { ids: [ALPHA] },
      { headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } },
    )
    const spans = exporter.getFinishedSpans()
    const server = byKind(spans, SpanKind.SERVER)[0]
    expect(server?.spanContext().traceId).toBe(callerTrace)
    expect(server?.parentSpanContext?.spanId).toBe(callerSpan)
    expect(TRACEPARENT.exec(String(imageCalls(upstream)[0]?.headers.traceparent))?.[1]).toBe(callerTrace)
  })

  it('marks a rejected operation as an error and calls nothing upstream', async () => {
    await gateway.query('query Broken { images(regionIds: []) { nope } }')
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.kind).sort()).toEqual([SpanKind.INTERNAL, SpanKind.SERVER].sort())
    const operation = byKind(spans, SpanKind.INTERNAL)[0]
    expect(operation?.name).toBe('GraphQL Operation')
    expect(operation?.status.code).toBe(SpanStatusCode.ERROR)
    expect(operation?.attributes['gateway.operation.outcome']).toBe('rejected')
    expect(operation?.attributes['gateway.error.codes']).toEqual(['GRAPHQL_VALIDATION_FAILED'])
    expect(upstream.requests).toHaveLength(0)
  })

  it('puts the trace id on every log line of the request, and never the token on a span', async () => {
    await gateway.query(MULTI, { ids: [ALPHA, BROKEN] }, { headers: { 'x-request-id': 'req-trace-3' } })
    const traceId = byKind(exporter.getFinishedSpans(), SpanKind.SERVER)[0]?.spanContext().traceId
    const lines = gateway.logs.records.filter((record) => record.requestId === 'req-trace-3')
    expect(
      lines
        .map((line) => line.msg)
        .filter((msg) => msg !== 'yoga')
        .sort(),
    ).toEqual(['request', 'upstream call', 'upstream call failed'])
    for (const line of lines) expect(line.trace_id).toBe(traceId)
    const everything = JSON.stringify(
      exporter.getFinishedSpans().map((span) => [span.name, span.attributes, span.events, span.status]),
    )
    expect(everything).not.toContain(TOKEN)
    expect(everything.toLowerCase()).not.toContain('bearer')
    expect(everything.toLowerCase()).not.toContain('authorization')
  })

  it('makes no span for health and metrics requests', async () => {
    await fetch(`${gateway.url}/healthz`)
    await fetch(`${gateway.url}/metrics`)
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})
