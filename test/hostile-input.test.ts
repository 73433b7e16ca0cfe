import { request } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway, TEST_SECURITY, TOKEN } from './helpers/harness.js'

const REGION = uuid(1, 'b')
const MANY = Array.from({ length: 11 }, (_, index) => uuid(100 + index, 'b'))

let upstream: RunningFakeUpstream
/** Tight limits, so each can be crossed by a small, otherwise valid operation. */
let strict: RunningGateway
/** The defaults of a deployment with CORS for one origin. */
let standard: RunningGateway

beforeAll(async () => {
  upstream = await startFakeUpstream({
    regions: [makeRegion(REGION, 'one'), ...MANY.map((id) => makeRegion(id, id.slice(-4)))],
    images: { [REGION]: [makeImage({ name: 'debian-12' })] },
  })
  strict = await startGateway(upstream.url, {
    security: {
      ...TEST_SECURITY,
      maxDepth: 4,
      maxAliases: 2,
      maxTokens: 80,
      maxDirectives: 2,
      maxCost: 1000,
      maxRequestBodyBytes: 2048,
      graphiql: false,
      introspection: false,
    },
  })
  standard = await startGateway(upstream.url, {
    security: { ...TEST_SECURITY, corsOrigins: ['https://console.example.com', 'https://admin.example.com'] },
  })
})

afterAll(async () => {
  await strict.close()
  await standard.close()
  await upstream.close()
})

beforeEach(() => {
  upstream.requests.length = 0
})

function codesOf(body: { errors?: { extensions?: Record<string, unknown> }[] }) {
  return body.errors?.map((error) => [error.extensions?.code, error.extensions?.limit ?? null])
}

describe('query limits reject before any upstream call', () => {
  it.each([
    ['depth', `{ region(id: "${REGION}") { images { nodes { os { distro } } } } }`],
    ['aliases', `{ a: gateway { version } b: gateway { version } c: gateway { version } }`],
    [
      'directives',
      `{ region(id: "${REGION}") @include(if: true) @skip(if: false) { images @include(if: true) { totalCount } } }`,
    ],
  ])('%s', async (limit, query) => {
    const { status, body } = await strict.query(query)
    expect(status).toBe(400)
    expect(body.data).toBeUndefined()
    expect(codesOf(body)).toContainEqual(['BAD_USER_INPUT', limit])
    expect(upstream.requests).toHaveLength(0)
  })

  it('tokens: parsing stops at the limit', async () => {
    const { body } = await strict.query(`{ gateway { ${'version '.repeat(80)}} }`)
    expect(body.errors?.[0]?.message).toMatch(/contains more th.. 80 tokens/)
    expect(codesOf(body)).toEqual([['GRAPHQL_PARSE_FAILED', null]])
    expect(upstream.requests).toHaveLength(0)
  })

  it('cost counts regions x page size, with literals and with variables', async () => {
    const literal = await strict.query(
      `{ images(regionIds: [${MANY.map((id) => `"${id}"`).join(',')}], first: 100) { totalCount } }`,
    )
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'cost',
      cost: 11 * 101,
      maxCost: 1000,
    })
    const variables = await strict.query(
      'query($ids: [ID!]!, $n: Int) { images(regionIds: $ids, first: $n) { totalCount } }',
      {
        ids: MANY,
        n: 100,
      },
    )
    expect(variables.body.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 1111 })
    // A regions list may hold up to MAX_REGIONS_PER_QUERY (50) regions: 50 x (20 + 1).
    const nested = await strict.query(
      `{ regions(organizationId: "${ORG_A}") { images(first: 20) { totalCount } } }`,
    )
    expect(nested.body.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 1050 })
    // So may an organization's merged list, whose regions are not known before it runs.
    const organizationWide = await strict.query(
      `{ images(organizationId: "${ORG_A}", first: 20) { totalCount } }`,
    )
    expect(organizationWide.body.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 1050 })
    expect(upstream.requests).toHaveLength(0)

    const cheap = await strict.query(
      'query($ids: [ID!]!) { images(regionIds: $ids, first: 10) { totalCount } }',
      {
        ids: MANY.slice(0, 9),
      },
    )
    expect(cheap.body.errors).toBeUndefined()
  })

  it('cost is not fooled by fragments', async () => {
    const { body } = await strict.query(
      `query { ...A ...B } fragment A on Query { x: images(regionIds: ${JSON.stringify(MANY.slice(0, 5))}, first: 100) { totalCount } }
       fragment B on Query { y: images(regionIds: ${JSON.stringify(MANY.slice(5, 10))}, first: 100) { totalCount } }`,
    )
    expect(body.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', cost: 1010 })
    expect(upstream.requests).toHaveLength(0)
  })

  it('request body size: 413 before parsing', async () => {
    const response = await fetch(`${strict.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: `{ gateway { version } }`, variables: { padding: 'x'.repeat(4096) } }),
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({
      errors: [expect.objectContaining({ extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } })],
    })
  })
})

describe('request bodies without a Content-Length (chunked)', () => {
  /** POSTs `body` in chunks, so the request has Transfer-Encoding: chunked and no length. */
  function postChunked(body: string): Promise<{ status: number; text: string }> {
    const { port } = new URL(strict.url)
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        },
        (res) => {
          let text = ''
          res.on('data', (chunk) => {
            text += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        },
      )
      req.on('error', reject)
      for (let offset = 0; offset < body.length; offset += 512) req.write(body.slice(offset, offset + 512))
      req.end()
    })
  }

  it('are counted as they arrive: over the limit is 413', async () => {
    const answer = await postChunked(
      JSON.stringify({ query: '{ gateway { version } }', variables: { padding: 'x'.repeat(4096) } }),
    )
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.text)).toEqual({
      errors: [expect.objectContaining({ extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } })],
    })
  })

  it('are served within the limit', async () => {
    const answer = await postChunked(
      JSON.stringify({ query: `{ region(id: "${REGION}") { images { nodes { name } } } }` }),
    )
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text)).toEqual({
      data: { region: { images: { nodes: [{ name: 'debian-12' }] } } },
    })
  })
})

describe('bad input gets a validation error and no upstream call', () => {
  it.each([
    ['an unknown enum literal', `{ images(regionIds: ["${REGION}"], status: [BOGUS]) { totalCount } }`, {}],
    [
      'an enum value in the wrong case',
      `{ images(regionIds: ["${REGION}"], scope: owned) { totalCount } }`,
      {},
    ],
    [
      'an unknown enum in variables',
      `query($s: [ImageState!]) { images(regionIds: ["${REGION}"], status: $s) { totalCount } }`,
      { s: ['ready'] },
    ],
    [
      'a string for an Int',
      `query($n: Int) { images(regionIds: ["${REGION}"], first: $n) { totalCount } }`,
      { n: '5' },
    ],
    ['a missing required argument', '{ images { totalCount } }', {}],
  ])('%s', async (_case, query, variables) => {
    const { body } = await standard.query(query, variables)
    expect(body.data ?? null).toBeNull()
    expect(body.errors?.length).toBeGreaterThan(0)
    expect(upstream.requests).toHaveLength(0)
  })

  it('hides suggestions outside development: fields, arguments, enum values in literals and variables', async () => {
    const leaky: [string, Record<string, unknown>][] = [
      ['{ gateway { versio } }', {}],
      [`{ images(regionIds: ["${REGION}"], firts: 1) { totalCount } }`, {}],
      [`{ images(regionIds: ["${REGION}"], status: [REDY]) { totalCount } }`, {}],
      [
        `query($s: [ImageState!]) { images(regionIds: ["${REGION}"], status: $s) { totalCount } }`,
        { s: ['REDY'] },
      ],
    ]
    const developer = await startGateway(upstream.url, {
      security: { ...TEST_SECURITY, fieldSuggestions: true },
    })
    try {
      for (const [query, variables] of leaky) {
        const hidden = await standard.query(query, variables)
        expect(hidden.body.errors?.length).toBeGreaterThan(0)
        for (const error of hidden.body.errors ?? []) expect(error.message).not.toMatch(/Did you mean/)
        const shown = await developer.query(query, variables)
        const messages = shown.body.errors?.map((error) => error.message).join(' ')
        // Variables are coerced by graphql-jit's compiled code, whose messages never suggest.
        if (Object.keys(variables).length === 0) expect(messages).toMatch(/Did you mean/)
        else expect(messages).toMatch(/Variable "\$s" got invalid value/)
      }
    } finally {
      await developer.close()
    }
  })
})

describe('introspection and GraphiQL toggles', () => {
  it('answers introspection only where enabled', async () => {
    const query = '{ __schema { queryType { name } } }'
    expect((await standard.query(query)).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } })
    const disabled = await strict.query(query)
    expect(disabled.body.data ?? null).toBeNull()
    expect(disabled.body.errors?.[0]?.message).toMatch(/introspection has been disabled/)
  })

  it('serves GraphiQL only where enabled', async () => {
    const page = (url: string) => fetch(`${url}/graphql`, { headers: { accept: 'text/html' } })
    const enabled = await page(standard.url)
    expect(enabled.status).toBe(200)
    expect(enabled.headers.get('content-type')).toMatch(/text\/html/)
    const disabled = await page(strict.url)
    expect(disabled.status).toBe(406)
    expect(disabled.headers.get('content-type') ?? '').not.toMatch(/text\/html/)
  })
})

describe('CSRF prevention', () => {
  const query = '{ gateway { version } }'
  const send = (init: RequestInit & { path?: string }) =>
    fetch(`${standard.url}${init.path ?? '/graphql'}`, init).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as { data?: unknown; errors?: { message: string }[] },
    }))

  it('accepts application/json POSTs (what GraphiQL and GraphQL clients send) without extra headers', async () => {
    const { status, body } = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
    expect(status).toBe(200)
    expect(body.data).toEqual({ gateway: { version: expect.any(String) } })
  })

  it.each([
    ['a GET', { path: `/graphql?query=${encodeURIComponent(query)}` }],
    [
      'a form POST',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${encodeURIComponent(query)}`,
      },
    ],
    [
      'a text/plain POST',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query }) },
    ],
  ])('refuses %s a page could send without a preflight', async (_case, init) => {
    const { status, body } = await send(init)
    expect(status).toBe(403)
    expect(body.errors?.[0]?.message).toMatch(/CSRF/)
  })

  it('accepts such requests with the CSRF header', async () => {
    const { status, body } = await send({
      path: `/graphql?query=${encodeURIComponent(query)}`,
      headers: { 'x-graphql-yoga-csrf': '1' },
    })
    expect(status).toBe(200)
    expect(body.data).toEqual({ gateway: { version: expect.any(String) } })
  })
})

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })

  it('allows only the configured origins, without credentials', async () => {
    const allowed = await preflight(standard.url, 'https://admin.example.com')
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example.com')
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull()
    expect(allowed.headers.get('vary')).toMatch(/Origin/)
    const foreign = await preflight(standard.url, 'https://evil.example.com')
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()

    const post = await fetch(`${standard.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ gateway { version } }' }),
    })
    expect(post.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('sends no CORS headers at all when no origin is configured', async () => {
    const response = await preflight(strict.url, 'https://console.example.com')
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('readiness', () => {
  it('answers 200 while ready and 503 once shutting down, while GraphQL still answers', async () => {
    const gateway = await startGateway(upstream.url)
    try {
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200)
      gateway.readiness.markShuttingDown()
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503)
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200)
      expect((await gateway.query('{ gateway { version } }')).body.errors).toBeUndefined()
    } finally {
      await gateway.close()
    }
  })
})
