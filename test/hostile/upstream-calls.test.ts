// Hostile traffic, finding 6: one small request made 1,001 upstream calls.
import { expect } from 'vitest'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { gatewayTest } from '../helpers/harness.js'

const REGIONS = Array.from({ length: 10 }, (_, n) => uuid(n + 1, 'a'))
const ORGANIZATIONS = Array.from({ length: 20 }, (_, n) => uuid(n + 1, 'f'))
const LIMIT = 50

const it = gatewayTest({
  regions: REGIONS.map((id, n) => makeRegion(id, `region-${n}`)),
  images: Object.fromEntries(REGIONS.map((id) => [id, [makeImage({ name: 'ubuntu-24.04' })]])),
})

/** 20 aliases of an organization's merged list, each with its own organizationIds. */
function aliases(first: number): string {
  const lists = ORGANIZATIONS.map(
    (organization, n) =>
      `a${n}: images(organizationId: "${ORGANIZATIONS[0]}", organizationIds: ["${organization}"], first: ${first}) { totalCount }`,
  )
  return `{ ${lists.join('\n')} }`
}

it('refuses 20 organization-wide lists of 500 by their cost, before any upstream call', async ({
  gateway,
  upstream,
}) => {
  const { status, body } = await gateway.query(aliases(500))
  expect(status).toBe(400)
  expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' })
  expect(upstream.requests).toHaveLength(0)
})

it('makes at most MAX_UPSTREAM_CALLS_PER_OPERATION calls for cheap ones, and names the limit', async ({
  gateway,
  upstream,
}) => {
  const { body } = await gateway.query(aliases(0))
  // One shared region list, then ten regions per organization: the fifth list would pass 50.
  expect(upstream.requests.length).toBeLessThanOrEqual(LIMIT)
  expect(upstream.requests.length).toBe(41)
  // A refused list fails its field, and an image list is never null: the answer has no data.
  expect(body.data).toBeNull()
  expect(body.errors?.length).toBeGreaterThan(0)
  for (const error of body.errors ?? []) {
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'upstreamCalls',
      maxUpstreamCalls: LIMIT,
    })
    expect(error.message).toMatch(/more than 50 distinct calls to the Region Service/)
  }
})

it('counts each distinct call once: the same list asked for 20 times is one list', async ({
  gateway,
  upstream,
}) => {
  const same = ORGANIZATIONS.map(
    (_, n) => `a${n}: images(organizationId: "${ORGANIZATIONS[0]}", first: ${n}) { totalCount }`,
  )
  const { body } = await gateway.query(`{ ${same.join('\n')} }`)
  expect(body.errors).toBeUndefined()
  expect(upstream.requests).toHaveLength(1 + REGIONS.length)
})
