import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_ORGANIZATION_ID, DEMO_REGIONS, demoData } from '../src/demo/fixtures.js'
import { type RecordedRequest, type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { type RunningGateway, startGateway } from './helpers/harness.js'
import { type RunningPrism, startPrismProxy, VIOLATION } from './helpers/prism.js'

// The gateway talks to the Region Service only through Stoplight Prism, an independent
// implementation of openapi/region-api.yaml: Prism checks each request the gateway sends and
// each answer, and reports violations. A second gateway reads the same data directly, so the
// answers through Prism can be compared with answers that never met it.

const OTHER_ORGANIZATION = '3c7e1f2a-9b8d-4e6f-a5c4-1d2e3f4a5b6c'
const UNKNOWN_REGION = 'dddddddd-0000-4000-8000-000000000404'
/** A region whose image list breaks the contract; not in the region list, only asked directly. */
const OFF_CONTRACT_REGION = 'eeeeeeee-0000-4000-8000-000000000bad'

let upstream: RunningFakeUpstream
let reference: RunningFakeUpstream
let prism: RunningPrism
let viaPrism: RunningGateway
let direct: RunningGateway

beforeAll(async () => {
  const data = demoData()
  const breakContract = (request: RecordedRequest, res: ServerResponse) => {
    if (!request.path.includes(OFF_CONTRACT_REGION)) return false
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify([{ metadata: { id: 'no-name' }, spec: {}, status: { state: 'ready' } }]))
    return true
  }
  upstream = await startFakeUpstream(data, { intercept: breakContract })
  reference = await startFakeUpstream(data, { intercept: breakContract })
  prism = await startPrismProxy('openapi/region-api.yaml', upstream.url)
  viaPrism = await startGateway(prism.url)
  direct = await startGateway(reference.url)
}, 60_000)

afterAll(async () => {
  await viaPrism?.close()
  await direct?.close()
  await prism?.close()
  await upstream?.close()
  await reference?.close()
})

const IMAGE_FIELDS = 'id name regionId state ownerOrganizationId source os { distro version } gpu { models }'

/** Every upstream parameter the gateway sends: repeated organizationID, both scopes, none. */
const OPERATIONS: [string, string, Record<string, unknown>][] = [
  [
    'region list, then each region owned by two organizations',
    `query($org: ID!, $orgs: [ID!]) { regions(organizationId: $org) { id type
      images(organizationIds: $orgs, scope: OWNED, first: 500) { totalCount nodes { ${IMAGE_FIELDS} } } } }`,
    { org: DEMO_ORGANIZATION_ID, orgs: [DEMO_ORGANIZATION_ID, OTHER_ORGANIZATION] },
  ],
  [
    'available images of several regions for two organizations, state filtered in the gateway',
    `query($ids: [ID!]!, $orgs: [ID!]) { images(regionIds: $ids, organizationIds: $orgs, scope: AVAILABLE, status: [READY, FAILED], first: 500) {
      totalCount regions { regionId ok imageCount error { code status } } nodes { ${IMAGE_FIELDS} } } }`,
    {
      ids: [DEMO_REGIONS.ukWest, DEMO_REGIONS.usEast, DEMO_REGIONS.simulated],
      orgs: [OTHER_ORGANIZATION, DEMO_ORGANIZATION_ID],
    },
  ],
  [
    'global images only (no organizationID, no scope)',
    `query($ids: [ID!]!) { images(regionIds: $ids, first: 500) { totalCount nodes { ${IMAGE_FIELDS} } } }`,
    { ids: [DEMO_REGIONS.ukWest, DEMO_REGIONS.usEast] },
  ],
  [
    'errors the contract allows: an unknown region (404) and a kubernetes region (500)',
    `query($ids: [ID!]!) { images(regionIds: $ids) { totalCount regions { regionId ok error { code status } } } }`,
    { ids: [UNKNOWN_REGION, DEMO_REGIONS.euNorthKubernetes, DEMO_REGIONS.ukWest] },
  ],
]

describe('contract: every request the gateway sends passes Prism', () => {
  it('reports no violation for multi-region queries with every upstream parameter', async () => {
    upstream.requests.length = 0
    const answers: unknown[] = []
    const { lines, sentinelStatus, sentinelLines } = await prism.window(async () => {
      for (const [, query, variables] of OPERATIONS)
        answers.push((await viaPrism.query(query, variables)).body)
    })

    expect(lines.filter((line) => VIOLATION.test(line))).toEqual([])
    // Prism saw, and forwarded, every call the Region Service received.
    const received = lines.filter((line) => /Request received/.test(line))
    expect(received).toHaveLength(upstream.requests.length)
    expect(lines.filter((line) => /Received forward response/.test(line))).toHaveLength(
      upstream.requests.length,
    )
    expect(upstream.requests.length).toBeGreaterThanOrEqual(12)
    const sent = upstream.requests.map((request) => request.query)
    expect(
      sent.some((query) => query.getAll('organizationID').length === 2 && query.get('scope') === 'owned'),
    ).toBe(true)
    expect(
      sent.some((query) => query.getAll('organizationID').length === 2 && query.get('scope') === 'available'),
    ).toBe(true)
    expect(sent.some((query) => query.size === 0)).toBe(true)
    expect(upstream.requests.some((request) => request.path.endsWith('/regions'))).toBe(true)

    // The same operations read directly give the same answers: Prism passed everything through.
    for (const [index, [name, query, variables]] of OPERATIONS.entries()) {
      expect(answers[index], name).toEqual((await direct.query(query, variables)).body)
    }
    expect(JSON.stringify(answers[0])).toContain('"source":"SNAPSHOT"')
    expect(answers[3]).toMatchObject({
      data: {
        images: {
          regions: [
            { regionId: UNKNOWN_REGION, ok: false, error: { code: 'NOT_FOUND', status: 404 } },
            {
              regionId: DEMO_REGIONS.euNorthKubernetes,
              ok: false,
              error: { code: 'UPSTREAM_ERROR', status: 500 },
            },
            { regionId: DEMO_REGIONS.ukWest, ok: true, error: null },
          ],
        },
      },
    })

    // The check can fail: the sentinel request (scope=sideways) was refused and reported.
    expect(sentinelStatus).toBe(422)
    expect(sentinelLines.some((line) => VIOLATION.test(line))).toBe(true)
  })

  it('does report a request that breaks the contract', async () => {
    const { lines } = await prism.window(async () => {
      const bad = await fetch(
        `${prism.url}/api/v2/regions/not-a-uuid/images?organizationID=${DEMO_ORGANIZATION_ID}&status=sleeping`,
        { headers: { authorization: 'Bearer x' } },
      )
      expect(bad.status).toBe(422)
      const problem = (await bad.json()) as { validation: { location: string[] }[] }
      expect(problem.validation.map((violation) => violation.location.join('.')).sort()).toEqual([
        'path.regionid',
        'query.status.0',
      ])
      const anonymous = await fetch(`${prism.url}/api/v2/regions/${DEMO_REGIONS.ukWest}/images`)
      expect(anonymous.status).toBe(401)
    })
    expect(lines.filter((line) => VIOLATION.test(line))).toHaveLength(2)
  })

  it('does report an answer that breaks the contract, which the gateway then refuses', async () => {
    const { lines } = await prism.window(async () => {
      const { body } = await viaPrism.query<{
        images: { regions: { ok: boolean; error: { code: string } }[] }
      }>(`query($ids: [ID!]!) { images(regionIds: $ids) { regions { ok error { code } } } }`, {
        ids: [OFF_CONTRACT_REGION],
      })
      expect(body.data?.images.regions).toEqual([{ ok: false, error: { code: 'UPSTREAM_ERROR' } }])
    })
    expect(lines.some((line) => VIOLATION.test(line) && /VIOLATIONS|not valid/i.test(line))).toBe(true)
  })
})
