import { describe, expect } from 'vitest'
import { OWNER_ORGANIZATION_TAG, SOURCE_TAG } from '../src/demo/region-service.js'
import type { UpstreamImage } from '../src/upstream/types.js'
import { CATALOG_REGIONS, catalog } from './helpers/catalog.js'
import { imageCalls } from './helpers/fake-upstream.js'
import { makeRegion, ORG_A, ORG_B, uuid } from './helpers/fixtures.js'
import { gatewayTest, type RunningGateway } from './helpers/harness.js'

const KUBE_REGION = uuid(9, 'c')
const images = catalog()
/** Every catalogue image with its region, straight from the upstream fixture (the independent side). */
const upstreamImages = CATALOG_REGIONS.flatMap((regionId) =>
  (images[regionId] ?? []).map((image) => ({ regionId, image })),
)
const keyOf = (regionId: string, imageId: string) => `${regionId}/${imageId}`

const it = gatewayTest({
  regions: [
    ...CATALOG_REGIONS.map((id, index) => makeRegion(id, `region-${index}`)),
    makeRegion(KUBE_REGION, 'kube', 'kubernetes'),
  ],
  images,
})

interface Node {
  id: string
  imageId: string
  regionId: string
  name: string
  sizeGiB: number
  state: string
  createdAt: string
  architecture: string
  virtualization: string
  os: { distro: string; version: string }
  gpu: { vendor: string; models: string[] } | null
  softwareVersions: { name: string; version: string }[]
  source: string | null
}

interface Page {
  totalCount: number
  edges: { cursor: string; node: Node }[]
  pageInfo: {
    hasNextPage: boolean
    hasPreviousPage: boolean
    startCursor: string | null
    endCursor: string | null
  }
}

const NODE_FIELDS = `id imageId regionId name sizeGiB state createdAt architecture virtualization
  os { distro version } gpu { vendor models } softwareVersions { name version } source`

const LIST = `query List($filter: ImageFilter, $orderBy: [ImageOrder!], $first: Int, $after: String, $last: Int, $before: String) {
  images(regionIds: ${JSON.stringify(CATALOG_REGIONS)}, organizationIds: ["${ORG_A}", "${ORG_B}"],
         filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { ${NODE_FIELDS} } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

async function page(gateway: RunningGateway, variables: Record<string, unknown>): Promise<Page> {
  const { body } = await gateway.query<{ images: Page }>(LIST, variables)
  expect(body.errors).toBeUndefined()
  return body.data?.images as Page
}

/** Every image of a list, following `after` cursors. */
async function all(
  gateway: RunningGateway,
  variables: Record<string, unknown> = {},
  first = 500,
): Promise<Node[]> {
  const nodes: Node[] = []
  let after: string | null = null
  for (let guard = 0; guard < 100; guard++) {
    const result = await page(gateway, { ...variables, first, after })
    nodes.push(...result.edges.map((edge) => edge.node))
    if (!result.pageInfo.hasNextPage) {
      expect(nodes).toHaveLength(result.totalCount)
      return nodes
    }
    after = result.pageInfo.endCursor
  }
  throw new Error('paging did not end')
}

const software = (image: UpstreamImage) => Object.entries(image.spec.softwareVersions ?? {})
const tag = (image: UpstreamImage, name: string) => image.metadata.tags?.find((t) => t.name === name)?.value

describe('filters', () => {
  const cases: [string, Record<string, unknown>, (image: UpstreamImage, regionId: string) => boolean][] = [
    ['architectures', { architectures: ['AARCH64'] }, (i) => i.spec.architecture === 'aarch64'],
    [
      'virtualizations (ANY matches every kind)',
      { virtualizations: ['BAREMETAL'] },
      (i) => i.spec.virtualization === 'baremetal' || i.spec.virtualization === 'any',
    ],
    ['gpu present', { gpu: { present: true } }, (i) => i.spec.gpu !== undefined],
    ['gpu absent', { gpu: { present: false } }, (i) => i.spec.gpu === undefined],
    ['gpu vendors', { gpu: { vendors: ['AMD'] } }, (i) => i.spec.gpu?.vendor === 'AMD'],
    [
      'gpu models, case-insensitive',
      { gpu: { models: ['h200', 'mi300x'] } },
      (i) => (i.spec.gpu?.models ?? []).some((m) => m === 'H200' || m === 'MI300X'),
    ],
    ['os families', { os: { families: ['redhat'] } }, (i) => i.spec.os.family === 'redhat'],
    [
      'os distros and versions',
      { os: { distros: ['ubuntu'], versions: ['24.04', '9.5'] } },
      (i) => i.spec.os.distro === 'ubuntu' && i.spec.os.version === '24.04',
    ],
    ['os variants', { os: { variants: ['minimal'] } }, (i) => i.spec.os.variant === 'minimal'],
    [
      'size range (fits the flavor disk)',
      { minSizeGiB: 10, maxSizeGiB: 30 },
      (i) => i.spec.sizeGiB >= 10 && i.spec.sizeGiB <= 30,
    ],
    [
      'software by name',
      { software: [{ name: 'kubernetes' }] },
      (i) => software(i).some(([n]) => n === 'kubernetes'),
    ],
    [
      'software at versions',
      { software: [{ name: 'kubernetes', versions: ['v1.31.6', 'v1.32.2'] }] },
      (i) => ['v1.31.6', 'v1.32.2'].includes(i.spec.softwareVersions?.kubernetes ?? ''),
    ],
    [
      'software list is an OR',
      { software: [{ name: 'containerd' }, { name: 'kubernetes', versions: ['v1.30.10'] }] },
      (i) =>
        i.spec.softwareVersions?.containerd !== undefined ||
        i.spec.softwareVersions?.kubernetes === 'v1.30.10',
    ],
    ['hasSoftware false', { hasSoftware: false }, (i) => software(i).length === 0],
    ['hasSoftware true', { hasSoftware: true }, (i) => software(i).length > 0],
    [
      'nameContains, case-insensitive',
      { nameContains: 'UBUNTU-p' },
      (i) => i.metadata.name.toLowerCase().includes('ubuntu-p'),
    ],
    [
      'tags with and without value',
      { tags: [{ name: 'tier', value: 'gold' }, { name: SOURCE_TAG }] },
      (i) => tag(i, 'tier') === 'gold' || tag(i, SOURCE_TAG) !== undefined,
    ],
    ['sources', { sources: ['SNAPSHOT'] }, (i) => tag(i, SOURCE_TAG) === 'snapshot'],
    ['owners', { ownerOrganizationIds: [ORG_B] }, (i) => tag(i, OWNER_ORGANIZATION_TAG) === ORG_B],
    [
      'everything ANDed',
      {
        architectures: ['X86_64'],
        gpu: { vendors: ['NVIDIA'] },
        os: { distros: ['ubuntu', 'rocky'] },
        maxSizeGiB: 50,
        hasSoftware: true,
      },
      (i) =>
        i.spec.architecture === 'x86_64' &&
        i.spec.gpu?.vendor === 'NVIDIA' &&
        ['ubuntu', 'rocky'].includes(i.spec.os.distro) &&
        i.spec.sizeGiB <= 50 &&
        software(i).length > 0,
    ],
    ['empty lists mean no condition', { architectures: [], os: { distros: [] } }, () => true],
  ]

  it.for(cases)('%s', async ([_name, filter, expected], { gateway }) => {
    const got = await all(gateway, { filter })
    const want = upstreamImages.filter(({ regionId, image }) => expected(image, regionId))
    expect(want.length).toBeGreaterThan(0)
    expect(new Set(got.map((node) => keyOf(node.regionId, node.imageId)))).toEqual(
      new Set(want.map(({ regionId, image }) => keyOf(regionId, image.metadata.id))),
    )
  })

  it('rejects contradictory sizes before any upstream call', async ({ gateway, upstream }) => {
    const { body } = await gateway.query(LIST, { filter: { minSizeGiB: 50, maxSizeGiB: 10 } })
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter' })
    expect(upstream.requests).toHaveLength(0)
  })
})

describe('facets', () => {
  it('count the filtered set, the same as counting the listed images a second way', async ({ gateway }) => {
    const filter = { os: { distros: ['ubuntu', 'rocky'] }, maxSizeGiB: 50 }
    const { body } = await gateway.query<{ images: { facets: Record<string, Facet[]> } }>(
      `query($filter: ImageFilter) { images(regionIds: ${JSON.stringify(CATALOG_REGIONS)}, organizationIds: ["${ORG_A}", "${ORG_B}"], filter: $filter, first: 1) {
        facets {
          architectures { value count } virtualizations { value count } states { value count }
          distros { value count } gpuVendors { value count } gpuModels { value count }
          softwareNames { value count } sources { value count } regions { value count }
          osVersions { group value count } softwareVersions { group value count }
        }
      } }`,
      { filter },
    )
    expect(body.errors).toBeUndefined()
    const facets = body.data?.images.facets as Record<string, Facet[]>
    const nodes = await all(gateway, { filter })
    const expected: Record<string, Facet[]> = {
      architectures: tally(nodes.map((n) => [n.architecture])),
      virtualizations: tally(nodes.map((n) => [n.virtualization])),
      states: tally(nodes.map((n) => [n.state])),
      distros: tally(nodes.map((n) => [n.os.distro])),
      gpuVendors: tally(nodes.map((n) => (n.gpu ? [n.gpu.vendor] : []))),
      gpuModels: tally(nodes.map((n) => n.gpu?.models ?? [])),
      softwareNames: tally(nodes.map((n) => n.softwareVersions.map((s) => s.name))),
      sources: tally(nodes.map((n) => (n.source ? [n.source] : []))),
      regions: tally(nodes.map((n) => [n.regionId])),
      osVersions: tally(
        nodes.map((n) => [`${n.os.distro}\u0000${n.os.version}`]),
        true,
      ),
      softwareVersions: tally(
        nodes.map((n) => n.softwareVersions.map((s) => `${s.name}\u0000${s.version}`)),
        true,
      ),
    }
    expect(facets).toEqual(expected)
    expect(facets.softwareVersions?.filter((facet) => facet.group === 'kubernetes').length).toBe(3)
  })
})

interface Facet {
  group?: string
  value: string
  count: number
}

/** Counts values with a plain object and sorts by count desc, group, value (code-point order via UTF-8 bytes). */
function tally(valuesPerImage: string[][], grouped = false): Facet[] {
  const counts: Record<string, number> = {}
  for (const values of valuesPerImage) {
    for (const value of new Set(values)) counts[value] = (counts[value] ?? 0) + 1
  }
  const bytes = (text: string) => Buffer.from(text, 'utf8')
  return Object.entries(counts)
    .map(([key, count]) => {
      if (!grouped) return { value: key, count }
      const [group, value] = key.split('\u0000') as [string, string]
      return { group, value, count }
    })
    .sort(
      (a, b) =>
        b.count - a.count ||
        Buffer.compare(bytes(a.group ?? ''), bytes(b.group ?? '')) ||
        Buffer.compare(bytes(a.value), bytes(b.value)),
    )
}

describe('ordering and paging', () => {
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

  it('orders by the requested fields and breaks ties by name, region and id', async ({ gateway }) => {
    const nodes = await all(gateway, { orderBy: [{ field: 'SIZE', direction: 'DESC' }, { field: 'STATE' }] })
    const rank = { PENDING: 0, CREATING: 1, READY: 2, FAILED: 3 } as Record<string, number>
    const expected = [...nodes].sort(
      (a, b) =>
        b.sizeGiB - a.sizeGiB ||
        (rank[a.state] ?? 0) - (rank[b.state] ?? 0) ||
        byBytes(a.name, b.name) ||
        byBytes(a.regionId, b.regionId) ||
        byBytes(a.imageId, b.imageId),
    )
    expect(nodes.map((node) => node.id)).toEqual(expected.map((node) => node.id))
    // The catalogue has many ties on size, state and even name: the tie-breakers matter.
    expect(new Set(nodes.map((node) => `${node.sizeGiB}/${node.state}/${node.name}`)).size).toBeLessThan(
      nodes.length,
    )
  })

  it('orders by name in code-point order by default (upper case before lower case)', async ({ gateway }) => {
    const nodes = await all(gateway)
    const expected = [...nodes].sort(
      (a, b) => byBytes(a.name, b.name) || byBytes(a.regionId, b.regionId) || byBytes(a.imageId, b.imageId),
    )
    expect(nodes.map((node) => node.id)).toEqual(expected.map((node) => node.id))
    expect(nodes[0]?.name.startsWith('Ubuntu-Pro')).toBe(true)
  })

  it('orders by creation time descending', async ({ gateway }) => {
    const nodes = await all(gateway, { orderBy: [{ field: 'CREATED_AT', direction: 'DESC' }] })
    for (let i = 1; i < nodes.length; i++) {
      expect(Date.parse(nodes[i - 1]?.createdAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(nodes[i]?.createdAt ?? ''),
      )
    }
  })

  it('pages forwards and backwards through 1,000 images, visiting each exactly once', async ({ gateway }) => {
    const orderBy = [{ field: 'REGION', direction: 'DESC' }, { field: 'CREATED_AT' }]
    const forward: string[] = []
    let after: string | null = null
    let pages = 0
    do {
      const result: Page = await page(gateway, { orderBy, first: 37, after })
      expect(result.totalCount).toBe(1000)
      forward.push(...result.edges.map((edge) => edge.node.id))
      after = result.pageInfo.hasNextPage ? result.pageInfo.endCursor : null
      pages++
    } while (after !== null && pages < 100)
    expect(forward).toHaveLength(1000)
    expect(new Set(forward).size).toBe(1000)

    const backward: string[] = []
    let before: string | null = null
    pages = 0
    do {
      const result: Page = await page(gateway, { orderBy, last: 41, before })
      backward.unshift(...result.edges.map((edge) => edge.node.id))
      before = result.pageInfo.hasPreviousPage ? result.pageInfo.startCursor : null
      pages++
    } while (before !== null && pages < 100)
    expect(backward).toEqual(forward)
  })

  it('keeps cursors valid when the same query is repeated, and rejects them for another order or filter', async ({
    gateway,
    upstream,
  }) => {
    const first = await page(gateway, { first: 10 })
    const again = await page(gateway, { first: 10, after: first.pageInfo.endCursor })
    const repeated = await page(gateway, { first: 10, after: first.pageInfo.endCursor })
    expect(repeated.edges.map((edge) => edge.node.id)).toEqual(again.edges.map((edge) => edge.node.id))
    upstream.requests.length = 0
    for (const variables of [
      { orderBy: [{ field: 'SIZE' }] },
      { filter: { hasSoftware: true } },
      { filter: { architectures: ['X86_64'] } },
    ]) {
      const { body } = await gateway.query(LIST, {
        ...variables,
        first: 10,
        after: first.pageInfo.endCursor,
      })
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' })
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it('caps the page size and refuses first with last', async ({ gateway }) => {
    for (const variables of [{ first: 501 }, { last: 1000 }, { first: -1 }, { first: 5, last: 5 }]) {
      const { body } = await gateway.query(LIST, variables)
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    }
    const defaults = await page(gateway, {})
    expect(defaults.edges).toHaveLength(50)
  })
})

describe('lookups and organization-wide lists', () => {
  it('serves list, facets, lookup, node and two aliases of a region with one upstream call per region', async ({
    gateway,
    upstream,
  }) => {
    const [regionId] = CATALOG_REGIONS as [string]
    const target = images[regionId]?.find((image) => tag(image, OWNER_ORGANIZATION_TAG) === ORG_A)
    const { body } = await gateway.query<Record<string, { images?: { totalCount: number }; name?: string }>>(
      `query($r: ID!, $image: ID!) {
        list: images(regionIds: [$r], organizationIds: ["${ORG_A}"], first: 5) { totalCount facets { distros { value count } } }
        a: region(id: $r) { images(organizationIds: ["${ORG_A}"], filter: { hasSoftware: true }) { totalCount } }
        b: region(id: $r) { images(organizationIds: ["${ORG_A}"], orderBy: [{ field: SIZE }], last: 3) { totalCount } }
        found: image(regionId: $r, imageId: $image, organizationIds: ["${ORG_A}"]) { name ownerOrganizationId }
        missing: image(regionId: $r, imageId: "no-such-image", organizationIds: ["${ORG_A}"]) { name }
      }`,
      { r: regionId, image: target?.metadata.id },
    )
    expect(body.errors).toBeUndefined()
    expect(body.data?.found).toEqual({ name: target?.metadata.name, ownerOrganizationId: ORG_A })
    expect(body.data?.missing).toBeNull()
    expect(imageCalls(upstream)).toHaveLength(1)
  })

  it('refetches an image by its node id, owned or global', async ({ gateway }) => {
    const { body } = await gateway.query<{
      images: { nodes: { id: string; name: string; source: string | null }[] }
    }>(
      `{ images(regionIds: ${JSON.stringify(CATALOG_REGIONS)}, organizationIds: ["${ORG_A}"], first: 500) { nodes { id name source } } }`,
    )
    const nodes = body.data?.images.nodes ?? []
    const owned = nodes.find((node) => node.source !== null)
    const global = nodes.find((node) => node.source === null)
    for (const node of [owned, global]) {
      const result = await gateway.query<{
        node: { __typename: string; id: string; name: string } | null
      }>('query($id: ID!) { node(id: $id) { __typename id ... on Image { name } } }', { id: node?.id })
      expect(result.body.data?.node).toEqual({ __typename: 'Image', id: node?.id, name: node?.name })
    }
    const bad = await gateway.query('{ node(id: "bm90LWFuLWlk") { id } }')
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
  })

  it('lists every image-serving region of an organization, fetching the region list once', async ({
    gateway,
    upstream,
  }) => {
    const { body } = await gateway.query<{ a: Page; b: Page }>(
      `{
        a: images(organizationId: "${ORG_A}", first: 1) { totalCount }
        b: images(organizationId: "${ORG_A}", filter: { sources: [IMPORT] }) { totalCount }
      }`,
    )
    expect(body.errors).toBeUndefined()
    const visible = upstreamImages.filter(({ image }) =>
      [undefined, ORG_A].includes(tag(image, OWNER_ORGANIZATION_TAG)),
    )
    expect(body.data?.a.totalCount).toBe(visible.length)
    expect(upstream.requests.filter((request) => request.path.endsWith('/regions'))).toHaveLength(1)
    const calls = imageCalls(upstream)
    expect(calls.map((call) => call.path.split('/')[4]).sort()).toEqual([...CATALOG_REGIONS].sort())
    for (const call of calls) expect(call.query.getAll('organizationID')).toEqual([ORG_A])
  })

  it('wants exactly one of regionIds and organizationId', async ({ gateway, upstream }) => {
    for (const args of [`regionIds: ["${CATALOG_REGIONS[0]}"], organizationId: "${ORG_A}"`, 'first: 1']) {
      const { body } = await gateway.query(`{ images(${args}) { totalCount } }`)
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT')
    }
    expect(upstream.requests).toHaveLength(0)
  })
})
