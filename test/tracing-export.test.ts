import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, type TracingConfig } from '../src/config.js'
import { DEMO_REGIONS, DEMO_TOKEN } from '../src/demo/fixtures.js'
import { startTracing } from '../src/observability/tracing-sdk.js'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { startGateway } from './helpers/harness.js'
import { parse, spawnGateway } from './helpers/process.js'

const ALPHA = uuid(1)

interface Received {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

let collector: Server
let collectorUrl: string
const received: Received[] = []
let upstream: RunningFakeUpstream

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      res.writeHead(200, { 'content-type': String(req.headers['content-type']) }).end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  upstream = await startFakeUpstream({
    regions: [makeRegion(ALPHA, 'alpha')],
    images: { [ALPHA]: [makeImage()] },
  })
})

afterAll(async () => {
  await upstream.close()
  collector.closeAllConnections()
  await new Promise<void>((resolve) => collector.close(() => resolve()))
})

describe('OTLP export', () => {
  it.each([
    ['http/json', 'application/json'],
    ['http/protobuf', 'application/x-protobuf'],
  ] as const)(
    'posts spans over %s to the configured endpoint with the configured headers',
    async (protocol, contentType) => {
      received.length = 0
      const config = loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cret%3D,x-tenant=images',
        OTEL_SERVICE_NAME: 'gateway-under-test',
      }).tracing as TracingConfig
      const tracing = startTracing({ config, serviceVersion: '0.1.0' })
      const gateway = await startGateway(upstream.url, { runtime: { tracing } })
      try {
        const { body } = await gateway.query(
          `query Exported { region(id: "${ALPHA}") { images { totalCount } } }`,
        )
        expect(body.errors).toBeUndefined()
      } finally {
        await gateway.close()
        // Flushes the batch processor: the spans are sent now.
        await tracing.shutdown()
      }
      expect(received.length).toBeGreaterThan(0)
      const [first] = received
      expect(first?.path).toBe('/v1/traces')
      expect(first?.headers['content-type']).toBe(contentType)
      expect(first?.headers['x-collector-key']).toBe('s3cret=')
      expect(first?.headers['x-tenant']).toBe('images')
      // Protobuf keeps strings as UTF-8 bytes, so both encodings show the names as text.
      const sent = Buffer.concat(received.map((request) => request.body)).toString('utf8')
      for (const name of [
        'query Exported',
        'POST /graphql',
        'GET /api/v2/regions/{regionID}/images',
        'gateway-under-test',
      ]) {
        expect(sent).toContain(name)
      }
    },
  )
})

describe('npm start with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('loads the SDK, traces requests and flushes the spans when it stops', async () => {
    received.length = 0
    const gateway = await spawnGateway({
      REGION_API_URL: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    })
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_TOKEN}` },
        body: JSON.stringify({
          query: `query FromMain { region(id: "${DEMO_REGIONS.ukWest}") { images { totalCount } } }`,
        }),
      })
      expect(response.status).toBe(200)
    } finally {
      expect(await gateway.exit()).toBe(0)
    }
    const on = gateway.lines.map(parse).find((record) => record?.msg === 'OpenTelemetry tracing on')
    expect(on).toMatchObject({ exporter: 'otlp', protocol: 'http/json' })
    const sent = received.map((request) => request.body.toString('utf8')).join('\n')
    expect(sent).toContain('query FromMain')
    expect(sent).toContain('GET /api/v2/regions/{regionID}/images')
  })
})

describe('OTEL_* configuration', () => {
  it('leaves tracing off unless an exporter or endpoint is configured', () => {
    expect(loadConfig({}).tracing).toBeUndefined()
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x' }).tracing).toBeUndefined()
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing,
    ).toBeUndefined()
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing,
    ).toBeUndefined()
  })

  it('follows the standard endpoint, protocol, header, resource and sampler variables', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      exporter: 'otlp',
      endpoint: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      serviceName: 'images-gateway',
      resourceAttributes: {},
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    })
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/custom/traces',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=3',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,team=images',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }).tracing,
    ).toMatchObject({
      endpoint: 'https://collector.example/custom/traces',
      protocol: 'http/json',
      headers: { a: '1', b: '3' },
      serviceName: 'from-resource',
      resourceAttributes: { 'service.name': 'from-resource', team: 'images' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    })
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'console' }).tracing?.exporter).toBe('console')
  })

  it('lists every bad OTEL_* value and never echoes headers or endpoints', () => {
    let error: unknown
    try {
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:hunter2@collector',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key-hunter2',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER_ARG: '2',
      })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems
    expect([...new Set(problems.map((problem) => problem.split(':')[0]))].sort()).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER_ARG',
    ])
    expect((error as Error).message).not.toContain('hunter2')
    expect((error as Error).message).toContain('grpc')
  })
})
