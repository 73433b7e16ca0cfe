import fc from 'fast-check'
import { describe, expect } from 'vitest'
import { encodeJson, regularMediaType } from '../src/plugins/json-response.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { gatewayTest, type RunningGateway, TOKEN } from './helpers/harness.js'

const REGION = uuid(1, 'f')
const LARGE = uuid(2, 'f')
const DESCRIPTION = 'Ünïcødé in descriptions: € 日本語 \u{1F680} and "quotes"'

const it = gatewayTest({
  regions: [makeRegion(REGION, 'one'), makeRegion(LARGE, 'large')],
  images: {
    [REGION]: [makeImage({ name: 'plain', metadata: { description: DESCRIPTION } })],
    // ~600 kB of JSON out: many chunks, and a region element larger than one chunk.
    [LARGE]: Array.from({ length: 500 }, (_, index) =>
      makeImage({
        name: `image-${String(index).padStart(4, '0')}`,
        metadata: { description: `${index % 7 === 0 ? DESCRIPTION : 'plain ascii'} ${'x'.repeat(900)}` },
      }),
    ),
  },
})

describe('encodeJson', () => {
  it('writes exactly the bytes of JSON.stringify for any JSON value, any text in it', () => {
    // 'binary' strings: any code point, lone surrogates included, so the UTF-8 path is taken too.
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(encodeJson(value).equals(Buffer.from(JSON.stringify(value), 'utf8'))).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('follows JSON.stringify for what JSON has no words for', () => {
    const bare = Object.create(null) as Record<string, unknown>
    bare.key = 'null prototype'
    const values = [
      { skipped: undefined, fn: () => 1, symbol: Symbol('s'), kept: 1 },
      [undefined, () => 1, Symbol('s'), 2],
      { date: new Date(Date.UTC(2024, 0, 2)), custom: { toJSON: () => 'custom' } },
      bare,
      [Number.NaN, Number.POSITIVE_INFINITY, -0],
      'top-level string',
      null,
    ]
    for (const value of values) expect(encodeJson(value).toString('utf8')).toBe(JSON.stringify(value))
  })

  it('keeps large lists and their non-ASCII text intact across chunks', () => {
    const big = {
      data: {
        regions: Array.from({ length: 3 }, (_, region) => ({
          images: Array.from({ length: 300 }, (_, index) => ({
            name: `${region}-${index}`,
            text: index % 5 === 0 ? `${DESCRIPTION} ${'y'.repeat(400)}` : 'z'.repeat(400),
          })),
        })),
      },
    }
    const bytes = encodeJson(big)
    expect(bytes.length).toBeGreaterThan(300_000)
    expect(bytes.toString('utf8')).toBe(JSON.stringify(big))
  })
})

describe('answers', () => {
  async function post(gateway: RunningGateway, query: string, accept?: string) {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
        ...(accept ? { accept } : {}),
      },
      body: JSON.stringify({ query }),
    })
    return { response, bytes: Buffer.from(await response.arrayBuffer()) }
  }

  it('answers non-ASCII text intact, with a Content-Length of its UTF-8 bytes', async ({ gateway }) => {
    const { response, bytes } = await post(
      gateway,
      `{ region(id: "${REGION}") { images { nodes { description } } } }`,
    )
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length)
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({
      data: { region: { images: { nodes: [{ description: DESCRIPTION }] } } },
    })
  })

  it('answers a large list byte for byte like JSON.stringify of the same result', async ({ gateway }) => {
    const { response, bytes } = await post(
      gateway,
      `{ regions(organizationId: "${uuid(9, 'a')}") { id images(first: 500) { nodes { name description } } } }`,
    )
    expect(response.status).toBe(200)
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length)
    const text = bytes.toString('utf8')
    const parsed = JSON.parse(text) as { data: { regions: { images: { nodes: unknown[] } | null }[] } }
    expect(text).toBe(JSON.stringify(parsed))
    expect(parsed.data.regions.map((region) => region.images?.nodes.length)).toEqual([1, 500])
  })

  it.for([
    [undefined, 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['application/json', 'application/json'],
    ['application/json, application/graphql-response+json', 'application/json'],
    ['application/graphql-response+json;q=0.9, application/json', 'application/graphql-response+json'],
    ['*/*', 'application/json'],
  ] as const)('answers Accept %s with %s, as yoga would', async ([accept, mediaType], { gateway }) => {
    expect(regularMediaType(accept ?? null)).toBe(mediaType)
    const { response } = await post(gateway, `{ region(id: "${REGION}") { images { totalCount } } }`, accept)
    expect(response.headers.get('content-type')).toBe(`${mediaType}; charset=utf-8`)
  })

  it('keeps yoga status codes: a validation error is 400 for application/graphql-response+json', async ({
    gateway,
  }) => {
    const { response, bytes } = await post(gateway, '{ nope }', 'application/graphql-response+json')
    expect(response.status).toBe(400)
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({
      errors: [{ message: expect.stringContaining('nope') }],
    })
  })
})
