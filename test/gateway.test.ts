import type { ServerResponse } from 'node:http'
import { describe, expect } from 'vitest'
import { OWNER_ORGANIZATION_TAG, SOURCE_TAG, sendError } from '../src/demo/region-service.js'
import { imageCalls, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, ORG_B, uuid } from './helpers/fixtures.js'
import { gatewayTest, startGateway, TOKEN } from './helpers/harness.js'

const ALPHA = uuid(1)
const BETA = uuid(2)
const KUBE = uuid(3)
const UNKNOWN = uuid(99)
const DENIED = uuid(4)
const BROKEN = uuid(5)
const EXPIRED = uuid(6)
const GARBAGE = uuid(7)

const fullImage = makeImage({
  id: 'a64f9269-36e0-4312-b8d1-52d93d569b7b',
  name: 'ubu2204-v1.25.6-gpu-525.85.05-7ced4154',
  owner: ORG_A,
  source: 'snapshot',
  metadata: {
    description: 'Kubernetes node image',
    createdBy: 'alice',
    modifiedTime: '2024-04-01T08:00:00Z',
    modifiedBy: 'bob',
  },
  spec: {
    architecture: 'aarch64',
    sizeGiB: 25,
    virtualization: 'baremetal',
    os: {
      kernel: 'linux',
      family: 'debian',
      distro: 'ubuntu',
      variant: 'server',
      codename: 'jammy',
      version: '22.04',
    },
    softwareVersions: { kubernetes: 'v1.25.6', containerd: 'v1.7.2' },
    gpu: { vendor: 'NVIDIA', driver: '525.85.05', models: ['A100', 'H100'] },
  },
  state: 'creating',
})

// Alpha and beta share an upstream image id on purpose: global ids must still differ.
const alphaImages = [
  makeImage({ id: 'shared-id', name: 'debian-12' }),
  makeImage({
    name: 'rocky-9',
    state: 'failed',
    spec: { os: { kernel: 'linux', family: 'redhat', distro: 'rocky', version: '9.5' } },
  }),
  makeImage({ name: 'ubuntu-24.04', state: 'pending' }),
  makeImage({ name: 'acme-import', owner: ORG_A, source: 'import' }),
  makeImage({ name: 'other-org-image', owner: ORG_B, source: 'import' }),
  fullImage,
]
const betaImages = [
  makeImage({ id: 'shared-id', name: 'debian-12' }),
  makeImage({ name: 'alma-9' }),
  makeImage({ name: 'ubuntu-24.04' }),
]

const faults = new Map<string, (res: ServerResponse) => void>([
  [DENIED, (res) => sendError(res, 403, 'forbidden', 'no access to region', 'trace-403')],
  [BROKEN, (res) => sendError(res, 500, 'server_error', 'database exploded', 'trace-500')],
  [EXPIRED, (res) => sendError(res, 401, 'access_denied', 'token expired', 'trace-401')],
  [
    GARBAGE,
    (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify([{ metadata: { id: 'x' } }]))
    },
  ],
])

const it = gatewayTest(
  {
    regions: [makeRegion(ALPHA, 'alpha'), makeRegion(BETA, 'beta'), makeRegion(KUBE, 'kube', 'kubernetes')],
    images: { [ALPHA]: alphaImages, [BETA]: betaImages },
  },
  {
    intercept: (request, res) => {
      const fault = [...faults].find(([regionId]) => request.path.includes(`/regions/${regionId}/`))
      if (!fault) return false
      fault[1](res)
      return true
    },
  },
)

const IMAGE_FIELDS = `
  id imageId regionId name description tags { name value } createdAt createdBy modifiedAt modifiedBy
  architecture sizeGiB virtualization state ownerOrganizationId source
  os { kernel family distro variant codename version }
  softwareVersions { name version } kubernetes: softwareVersion(name: "kubernetes") missing: softwareVersion(name: "nope")
  gpu { vendor driver models }
`

describe('images of one region', () => {
  it('maps every nested field of an upstream image', async ({ gateway }) => {
    const { body } = await gateway.query<{ region: { images: { nodes: Record<string, unknown>[] } } }>(
      `query($id: ID!, $orgs: [ID!]) { region(id: $id) { images(organizationIds: $orgs, scope: OWNED, first: 500) { nodes { ${IMAGE_FIELDS} } } } }`,
      { id: ALPHA, orgs: [ORG_A] },
    )
    expect(body.errors).toBeUndefined()
    const image = body.data?.region.images.nodes.find((node) => node.imageId === fullImage.metadata.id)
    expect(image).toEqual({
      id: expect.any(String),
      imageId: 'a64f9269-36e0-4312-b8d1-52d93d569b7b',
      regionId: ALPHA,
      name: 'ubu2204-v1.25.6-gpu-525.85.05-7ced4154',
      description: 'Kubernetes node image',
      tags: [
        { name: OWNER_ORGANIZATION_TAG, value: ORG_A },
        { name: SOURCE_TAG, value: 'snapshot' },
      ],
      createdAt: '2024-03-01T10:00:00Z',
      createdBy: 'alice',
      modifiedAt: '2024-04-01T08:00:00Z',
      modifiedBy: 'bob',
      architecture: 'AARCH64',
      sizeGiB: 25,
      virtualization: 'BAREMETAL',
      state: 'CREATING',
      ownerOrganizationId: ORG_A,
      source: 'SNAPSHOT',
      os: {
        kernel: 'linux',
        family: 'debian',
        distro: 'ubuntu',
        variant: 'server',
        codename: 'jammy',
        version: '22.04',
      },
      softwareVersions: [
        { name: 'containerd', version: 'v1.7.2' },
        { name: 'kubernetes', version: 'v1.25.6' },
      ],
      kubernetes: 'v1.25.6',
      missing: null,
      gpu: { vendor: 'NVIDIA', driver: '525.85.05', models: ['A100', 'H100'] },
    })
  })

  it('gives global images null owner, source and gpu', async ({ gateway }) => {
    const { body } = await gateway.query<{ region: { images: { nodes: Record<string, unknown>[] } } }>(
      `query($id: ID!) { region(id: $id) { images { nodes { name ownerOrganizationId source gpu { vendor } softwareVersions { name } } } } }`,
      { id: ALPHA },
    )
    expect(body.data?.region.images.nodes).toContainEqual({
      name: 'debian-12',
      ownerOrganizationId: null,
      source: null,
      gpu: null,
      softwareVersions: [],
    })
  })

  it("forwards the caller's token, in one spelling of the scheme, and organizations as repeated keys", async ({
    gateway,
    upstream,
  }) => {
    const { body } = await gateway.query(
      `query($id: ID!, $orgs: [ID!]) { region(id: $id) { images(organizationIds: $orgs) { totalCount } } }`,
      { id: ALPHA, orgs: [ORG_B, ORG_A, ORG_B] },
      { authorization: `bearer   ${TOKEN}` },
    )
    expect(body.errors).toBeUndefined()
    const [call] = imageCalls(upstream, ALPHA)
    expect(call?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(call?.query.getAll('organizationID')).toEqual([ORG_A, ORG_B])
    expect(call?.query.get('scope')).toBe('available')
    expect(call?.query.getAll('status')).toEqual([])
  })

  it('filters status in the gateway and counts after filters', async ({ gateway }) => {
    const { body } = await gateway.query<{
      region: { images: { totalCount: number; nodes: { name: string }[] } }
    }>(
      `query($id: ID!) { region(id: $id) { images(status: [READY, FAILED]) { totalCount nodes { name } } } }`,
      { id: ALPHA },
    )
    expect(body.data?.region.images.nodes.map((node) => node.name)).toEqual(['debian-12', 'rocky-9'])
    expect(body.data?.region.images.totalCount).toBe(2)
  })

  it('lists only global images without organizations and only owned ones with scope OWNED', async ({
    gateway,
  }) => {
    const { body } = await gateway.query<Record<string, { images: { nodes: { name: string }[] } }>>(
      `query($id: ID!) {
        global: region(id: $id) { images { nodes { name } } }
        owned: region(id: $id) { images(organizationIds: ["${ORG_A}"], scope: OWNED) { nodes { name } } }
      }`,
      { id: ALPHA },
    )
    const names = (key: string) => body.data?.[key]?.images.nodes.map((node) => node.name)
    expect(names('global')).toEqual(['debian-12', 'rocky-9', 'ubuntu-24.04'])
    expect(names('owned')).toEqual(['acme-import', 'ubu2204-v1.25.6-gpu-525.85.05-7ced4154'])
  })

  it('makes one upstream call per distinct region key, however many aliases ask', async ({
    gateway,
    upstream,
  }) => {
    const { body } = await gateway.query(
      `query($a: ID!, $b: ID!) {
        a1: region(id: $a) { images(status: [READY]) { totalCount } }
        a2: region(id: $a) { images(first: 1) { nodes { id } } }
        a3: region(id: $a) { images(scope: OWNED) { totalCount } }
        a4: region(id: $a) { images(organizationIds: ["${ORG_A}", "${ORG_B}"]) { totalCount } }
        a5: region(id: $a) { images(organizationIds: ["${ORG_B}", "${ORG_A}"], scope: AVAILABLE) { totalCount } }
        a6: region(id: $a) { images(organizationIds: ["${ORG_A}"], scope: OWNED) { totalCount } }
        merged: images(regionIds: [$a, $b, $a], status: [READY]) { totalCount }
        b1: region(id: $b) { images { totalCount } }
      }`,
      { a: ALPHA, b: BETA },
    )
    expect(body.errors).toBeUndefined()
    // alpha: global (a1,a2,a3,merged), orgs A+B available (a4,a5), org A owned (a6); beta: global.
    expect(imageCalls(upstream, ALPHA)).toHaveLength(3)
    expect(imageCalls(upstream, BETA)).toHaveLength(1)
  })

  it('answers an empty connection for a kubernetes region without asking the upstream', async ({
    gateway,
    upstream,
  }) => {
    const { body } = await gateway.query<{
      regions: { name: string; type: string; images: { totalCount: number } }[]
    }>(
      `query($org: ID!) { regions(organizationId: $org) { name type images { totalCount regions { ok imageCount } } } }`,
      { org: ORG_A },
    )
    const kube = body.data?.regions.find((region) => region.name === 'kube')
    expect(kube).toEqual({
      name: 'kube',
      type: 'KUBERNETES',
      images: { totalCount: 0, regions: [{ ok: true, imageCount: 0 }] },
    })
    expect(imageCalls(upstream, KUBE)).toHaveLength(0)
    expect(imageCalls(upstream, ALPHA)).toHaveLength(1)
  })
})

describe('errors', () => {
  it.for([
    [UNKNOWN, 'NOT_FOUND', 404, undefined],
    [DENIED, 'FORBIDDEN', 403, 'trace-403'],
    [BROKEN, 'UPSTREAM_ERROR', 500, 'trace-500'],
    [EXPIRED, 'UNAUTHENTICATED', 401, 'trace-401'],
    [GARBAGE, 'UPSTREAM_INVALID_RESPONSE', 200, undefined],
  ] as const)(
    'maps region %s to %s at the images path',
    async ([regionId, code, status, traceId], { gateway }) => {
      const { body } = await gateway.query(
        `query($id: ID!) { region(id: $id) { id images { totalCount } } }`,
        {
          id: regionId,
        },
      )
      expect(body.data).toEqual({ region: { id: regionId, images: null } })
      expect(body.errors).toHaveLength(1)
      const [error] = body.errors ?? []
      expect(error?.path).toEqual(['region', 'images'])
      expect(error?.extensions).toMatchObject({ code, status, regionId })
      if (traceId) expect(error?.extensions?.traceId).toBe(traceId)
      else if (code === 'NOT_FOUND') expect(error?.extensions?.traceId).toMatch(/^[0-9a-f]{32}$/)
    },
  )

  it('rejects a request without a bearer token and calls nothing upstream', async ({ gateway, upstream }) => {
    const queries = [
      `{ images(regionIds: ["${ALPHA}", "${BETA}"]) { totalCount } }`,
      `{ region(id: "${ALPHA}") { images { totalCount } } }`,
      `{ regions(organizationId: "${ORG_A}") { id } }`,
    ]
    for (const query of queries) {
      for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words']) {
        const { body } = await gateway.query(
          query,
          {},
          authorization === undefined ? { token: null } : { authorization },
        )
        expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED'])
      }
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it('rejects ids that are not UUIDs before any upstream call', async ({ gateway, upstream }) => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['query($id: ID!) { region(id: $id) { images { totalCount } } }', { id: '../../etc/passwd' }, 'id'],
      [
        'query($ids: [ID!]!) { images(regionIds: $ids) { totalCount } }',
        { ids: [ALPHA, 'nope'] },
        'regionIds',
      ],
      [
        'query($ids: [ID!]!) { images(regionIds: $ids, organizationIds: ["x"]) { totalCount } }',
        { ids: [ALPHA] },
        'organizationIds',
      ],
      ['{ regions(organizationId: "not-a-uuid") { id } }', {}, 'organizationId'],
    ]
    for (const [query, variables, argument] of cases) {
      const { body } = await gateway.query(query, variables)
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument })
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it('rejects a page size over the maximum and a foreign cursor', async ({ gateway, upstream }) => {
    const big = await gateway.query(`{ images(regionIds: ["${ALPHA}"], first: 501) { totalCount } }`)
    expect(big.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' })
    const page = await gateway.query<{ images: { pageInfo: { endCursor: string } } }>(
      `{ images(regionIds: ["${ALPHA}"], first: 1) { pageInfo { endCursor } } }`,
    )
    const cursor = page.body.data?.images.pageInfo.endCursor
    upstream.requests.length = 0
    for (const after of [cursor, 'garbage!', 'WzEsMl0']) {
      const { body } = await gateway.query(
        `query($after: String) { images(regionIds: ["${ALPHA}"], status: [READY], after: $after) { totalCount } }`,
        { after },
      )
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' })
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it('rejects too many regions in one query', async ({ gateway, upstream }) => {
    const ids = Array.from({ length: 51 }, (_, index) => uuid(1000 + index))
    const { body } = await gateway.query('query($ids: [ID!]!) { images(regionIds: $ids) { totalCount } }', {
      ids,
    })
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'regionIds' })
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('merged images of many regions', () => {
  it('keeps the healthy regions when others fail and says why per region', async ({ gateway }) => {
    const { body } = await gateway.query<{
      images: {
        totalCount: number
        nodes: { id: string; name: string; regionId: string }[]
        regions: {
          regionId: string
          ok: boolean
          imageCount: number
          error: Record<string, unknown> | null
        }[]
      }
    }>(
      `query($ids: [ID!]!) { images(regionIds: $ids, first: 500) {
        totalCount nodes { id name regionId }
        regions { regionId ok imageCount error { code message status traceId } }
      } }`,
      { ids: [BETA, ALPHA, UNKNOWN, BROKEN, DENIED, GARBAGE] },
    )
    expect(body.errors).toBeUndefined()
    const images = body.data?.images
    expect(images?.totalCount).toBe(6)
    expect(images?.nodes.map((node) => `${node.name}@${node.regionId === ALPHA ? 'alpha' : 'beta'}`)).toEqual(
      [
        'alma-9@beta',
        'debian-12@alpha',
        'debian-12@beta',
        'rocky-9@alpha',
        'ubuntu-24.04@alpha',
        'ubuntu-24.04@beta',
      ],
    )
    const debianIds = images?.nodes.filter((node) => node.name === 'debian-12').map((node) => node.id)
    expect(new Set(debianIds).size).toBe(2)
    expect(images?.regions).toEqual([
      { regionId: BETA, ok: true, imageCount: 3, error: null },
      { regionId: ALPHA, ok: true, imageCount: 3, error: null },
      {
        regionId: UNKNOWN,
        ok: false,
        imageCount: 0,
        error: {
          code: 'NOT_FOUND',
          message: expect.stringContaining(UNKNOWN),
          status: 404,
          traceId: expect.any(String),
        },
      },
      {
        regionId: BROKEN,
        ok: false,
        imageCount: 0,
        error: { code: 'UPSTREAM_ERROR', message: expect.any(String), status: 500, traceId: 'trace-500' },
      },
      {
        regionId: DENIED,
        ok: false,
        imageCount: 0,
        error: { code: 'FORBIDDEN', message: expect.any(String), status: 403, traceId: 'trace-403' },
      },
      {
        regionId: GARBAGE,
        ok: false,
        imageCount: 0,
        error: { code: 'UPSTREAM_INVALID_RESPONSE', message: expect.any(String), status: 200, traceId: null },
      },
    ])
  })

  it('fails the field when every region rejects the caller the same way', async ({ gateway }) => {
    const { body } = await gateway.query(`query($ids: [ID!]!) { images(regionIds: $ids) { totalCount } }`, {
      ids: [EXPIRED],
    })
    expect(body.data).toBeNull()
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      traceId: 'trace-401',
    })
    expect(body.errors?.[0]?.path).toEqual(['images'])
  })

  it('does not fail the field when regions fail for different reasons', async ({ gateway }) => {
    const { body } = await gateway.query<{ images: { regions: { ok: boolean }[] } }>(
      `query($ids: [ID!]!) { images(regionIds: $ids) { regions { ok } } }`,
      { ids: [EXPIRED, BROKEN] },
    )
    expect(body.errors).toBeUndefined()
    expect(body.data?.images.regions).toEqual([{ ok: false }, { ok: false }])
  })

  it('pages through a merged list returning every image exactly once', async ({ gateway, upstream }) => {
    const seen: string[] = []
    let after: string | null = null
    let pages = 0
    do {
      const { body }: Awaited<ReturnType<typeof gateway.query<{ images: Page }>>> = await gateway.query<{
        images: Page
      }>(
        `query($ids: [ID!]!, $after: String) { images(regionIds: $ids, organizationIds: ["${ORG_A}", "${ORG_B}"], first: 2, after: $after) {
          totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
        } }`,
        { ids: [ALPHA, BETA], after },
      )
      const page = body.data?.images as Page
      expect(page.totalCount).toBe(9)
      expect(page.pageInfo.hasPreviousPage).toBe(pages > 0)
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null)
      seen.push(...page.edges.map((edge) => edge.node.id))
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
      pages++
    } while (after !== null && pages < 20)
    expect(pages).toBe(5)
    expect(seen).toHaveLength(9)
    expect(new Set(seen).size).toBe(9)
    // Each page is its own request: alpha and beta are fetched once per page.
    expect(imageCalls(upstream)).toHaveLength(2 * pages)
  })
})

interface Page {
  totalCount: number
  edges: { cursor: string; node: { id: string } }[]
  pageInfo: {
    hasNextPage: boolean
    hasPreviousPage: boolean
    endCursor: string | null
    startCursor: string | null
  }
}

describe('logs', () => {
  it('never contain the token, and log one line per request and per upstream call', async ({ gateway }) => {
    gateway.logs.lines.length = 0
    await gateway.query(
      `query ListThem($ids: [ID!]!) { images(regionIds: $ids) { totalCount } }`,
      { ids: [ALPHA, BROKEN, EXPIRED] },
      { headers: { 'x-request-id': 'req-123' } },
    )
    const records = gateway.logs.records
    const request = records.find((record) => record.msg === 'request')
    expect(request).toMatchObject({
      operationName: 'ListThem',
      upstreamCalls: 3,
      upstreamFailures: 2,
      requestId: 'req-123',
    })
    const calls = records.filter((record) => String(record.msg).startsWith('upstream call'))
    expect(calls).toHaveLength(3)
    for (const call of calls) {
      expect(call).toMatchObject({
        requestId: 'req-123',
        upstream: { regionId: expect.any(String), durationMs: expect.any(Number) },
      })
    }
    expect(gateway.logs.lines.join('\n')).not.toContain(TOKEN)
    expect(gateway.logs.lines.join('\n').toLowerCase()).not.toContain('bearer')
  })
})

describe('partial results in regions { images }', () => {
  it('keeps the healthy regions when one region of the list fails', async () => {
    const listed = await startFakeUpstream(
      {
        regions: [makeRegion(ALPHA, 'alpha'), makeRegion(BROKEN, 'broken'), makeRegion(BETA, 'beta')],
        images: { [ALPHA]: alphaImages, [BETA]: betaImages },
      },
      {
        intercept: (request, res) => {
          if (!request.path.includes(`/regions/${BROKEN}/`)) return false
          sendError(res, 500, 'server_error', 'database exploded', 'trace-500')
          return true
        },
      },
    )
    const partial = await startGateway(listed.url)
    try {
      const { body } = await partial.query<{
        regions: { name: string; images: { totalCount: number } | null }[]
      }>(`{ regions(organizationId: "${ORG_A}") { name images { totalCount } } }`)
      expect(body.data?.regions).toEqual([
        { name: 'alpha', images: { totalCount: 3 } },
        { name: 'broken', images: null },
        { name: 'beta', images: { totalCount: 3 } },
      ])
      expect(body.errors).toHaveLength(1)
      expect(body.errors?.[0]?.path).toEqual(['regions', 1, 'images'])
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_ERROR',
        status: 500,
        traceId: 'trace-500',
      })
    } finally {
      await partial.close()
      await listed.close()
    }
  })
})

describe('odd but valid input', () => {
  it('treats a source tag named like an Object.prototype member as no source', async () => {
    const region = uuid(77)
    const odd = await startFakeUpstream({
      regions: [makeRegion(region, 'odd')],
      images: { [region]: [makeImage({ name: 'odd', owner: ORG_A, source: 'constructor' })] },
    })
    const gateway2 = await startGateway(odd.url)
    try {
      const { body } = await gateway2.query<{
        region: { images: { nodes: { source: string | null }[]; facets: { sources: unknown[] } } }
      }>(
        `{ region(id: "${region}") { images(organizationIds: ["${ORG_A}"]) { nodes { source } facets { sources { value count } } } } }`,
      )
      expect(body.errors).toBeUndefined()
      expect(body.data?.region.images).toEqual({ nodes: [{ source: null }], facets: { sources: [] } })
    } finally {
      await gateway2.close()
      await odd.close()
    }
  })

  it('reads a region once whatever the letter case of its id', async ({ gateway, upstream }) => {
    const { body } = await gateway.query<{
      images: { totalCount: number; regions: { regionId: string }[] }
    }>('query($ids: [ID!]!) { images(regionIds: $ids) { totalCount regions { regionId } } }', {
      ids: [ALPHA, ALPHA.toUpperCase()],
    })
    expect(body.data?.images).toEqual({ totalCount: 3, regions: [{ regionId: ALPHA }] })
    expect(imageCalls(upstream, ALPHA)).toHaveLength(1)
  })
})
