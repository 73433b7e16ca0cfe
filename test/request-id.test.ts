import { describe, expect } from 'vitest'
import { imageCalls } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { type GatewayFixtures, gatewayTest } from './helpers/harness.js'

const ALPHA = uuid(1)
const BETA = uuid(2)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const it = gatewayTest({
  regions: [makeRegion(ALPHA, 'alpha'), makeRegion(BETA, 'beta')],
  images: { [ALPHA]: [makeImage()], [BETA]: [makeImage()] },
})

const QUERY = `query Ids($ids: [ID!]!) { images(regionIds: $ids, organizationIds: ["${ORG_A}"]) { totalCount } }`

/** The request's id as seen on the response, every log line and every upstream call. */
async function idsAcrossTheRequest(
  { gateway, upstream }: GatewayFixtures,
  headers: Record<string, string> = {},
) {
  const response = await gateway.query(QUERY, { ids: [ALPHA, BETA] }, { headers })
  expect(response.body.errors).toBeUndefined()
  const logLines = gateway.logs.records
  return {
    echoed: response.headers.get('x-request-id'),
    logged: logLines.map((line) => line.requestId),
    logMessages: logLines.map((line) => line.msg),
    upstream: imageCalls(upstream).map((call) => call.headers['x-request-id']),
  }
}

describe('request ids', () => {
  it('accepts the caller’s x-request-id: echoed, on every log line, sent with every upstream call', async ({
    gateway,
    upstream,
  }) => {
    const seen = await idsAcrossTheRequest({ gateway, upstream }, { 'x-request-id': 'frontend-7f3a.42:b_c' })
    expect(seen.echoed).toBe('frontend-7f3a.42:b_c')
    // yoga's own (debug) lines included: every line written while serving the request has it.
    expect(seen.logMessages).toContain('yoga')
    expect(seen.logMessages.filter((msg) => msg !== 'yoga').sort()).toEqual([
      'request',
      'upstream call',
      'upstream call',
    ])
    expect(new Set(seen.logged)).toEqual(new Set(['frontend-7f3a.42:b_c']))
    expect(seen.upstream).toEqual(['frontend-7f3a.42:b_c', 'frontend-7f3a.42:b_c'])
  })

  it('generates one when the caller sends none, and uses it everywhere', async ({ gateway, upstream }) => {
    const seen = await idsAcrossTheRequest({ gateway, upstream })
    expect(seen.echoed).toMatch(UUID)
    expect(new Set([...seen.logged, ...seen.upstream])).toEqual(new Set([seen.echoed]))
    const again = await idsAcrossTheRequest({ gateway, upstream })
    expect(again.echoed).toMatch(UUID)
    expect(again.echoed).not.toBe(seen.echoed)
  })

  it.for([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'two words'],
    ['with a header-splitting attempt', 'a,b;c'],
  ] as const)(
    'replaces an offered id that is %s with a generated one',
    async ([_, offered], { gateway, upstream }) => {
      const seen = await idsAcrossTheRequest({ gateway, upstream }, { 'x-request-id': offered })
      expect(seen.echoed).toMatch(UUID)
      expect(new Set([...seen.logged, ...seen.upstream])).toEqual(new Set([seen.echoed]))
      expect(JSON.stringify(gateway.logs.lines)).not.toContain(offered)
    },
  )

  it('is echoed on every response, errors and health checks included', async ({ gateway }) => {
    const invalid = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad-json-1' },
      body: '{not json',
    })
    expect(invalid.status).toBe(400)
    expect(invalid.headers.get('x-request-id')).toBe('bad-json-1')
    const health = await fetch(`${gateway.url}/healthz`, { headers: { 'x-request-id': 'probe-1' } })
    expect(health.status).toBe(200)
    expect(health.headers.get('x-request-id')).toBe('probe-1')
  })
})
