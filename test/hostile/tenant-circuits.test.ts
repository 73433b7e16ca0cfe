// Hostile traffic, finding 5: one tenant's failing calls opened a region's circuit for everyone.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { sendError } from '../../src/demo/region-service.js'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { type RunningGateway, startGateway } from '../helpers/harness.js'
import { type GatewayProcess, spawnGateway } from '../helpers/process.js'

const SHARED = uuid(1, 'c')
const DOWN = uuid(2, 'c')
const DEFAULTS = loadConfig({ NODE_ENV: 'test', REGION_API_URL: 'http://127.0.0.1:1' }).resilience
const THRESHOLD = DEFAULTS.breakerFailureThreshold

let upstream: RunningFakeUpstream
let gateway: RunningGateway
/** What the upstream does with Mallory's calls: fail, never answer, or answer too much. */
let mallory: 'fail' | 'hang' | 'huge' = 'fail'

beforeAll(async () => {
  upstream = await startFakeUpstream(
    {
      regions: [makeRegion(SHARED, 'shared'), makeRegion(DOWN, 'down')],
      images: { [SHARED]: [makeImage({ name: 'ubuntu-24.04' })] },
    },
    {
      intercept: (request, res) => {
        if (request.path.includes(DOWN)) {
          sendError(res, 500, 'server_error', 'region down')
          return true
        }
        if (!request.headers.authorization?.includes('mallory')) return false
        if (mallory === 'fail') sendError(res, 500, 'server_error', 'fails for this tenant only')
        if (mallory === 'huge') {
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': String(64 * 1024 * 1024),
          })
          res.write('[')
        }
        return true
      },
    },
  )
  // The configured breaker (threshold, cool-down, callers), with retries off to count calls.
  gateway = await startGateway(upstream.url, {
    upstreamTimeoutMs: 300,
    resilience: { ...DEFAULTS, retries: 0 },
  })
})

afterAll(async () => {
  await gateway.close()
  await upstream.close()
})

beforeEach(() => {
  upstream.requests.length = 0
})

const QUERY = `query($id: ID!) { region(id: $id) { images { totalCount } } }`

async function ask(regionId: string, token: string, scheme = 'Bearer ') {
  const { body } = await gateway.query<{ region: { images: { totalCount: number } | null } }>(
    QUERY,
    { id: regionId },
    { authorization: `${scheme}${token}` },
  )
  return { totalCount: body.data?.region.images?.totalCount, code: body.errors?.[0]?.extensions?.code }
}

describe("one tenant's failures stay that tenant's", () => {
  it.each([
    ['fail', 'UPSTREAM_ERROR'],
    ['hang', 'UPSTREAM_TIMEOUT'],
    ['huge', 'UPSTREAM_INVALID_RESPONSE'],
  ] as const)('when the upstream answers its calls with %s', async (behaviour, code) => {
    mallory = behaviour
    const token = `mallory-${behaviour}`
    for (let call = 0; call < THRESHOLD; call++) expect(await ask(SHARED, token)).toMatchObject({ code })
    // Mallory now fails fast, without reaching the upstream...
    expect(await ask(SHARED, token)).toEqual({ totalCount: undefined, code: 'UPSTREAM_UNAVAILABLE' })
    expect(imageCalls(upstream, SHARED)).toHaveLength(THRESHOLD)
    // ...while everyone else's next request is answered from the upstream.
    expect(await ask(SHARED, 'alice')).toEqual({ totalCount: 1, code: undefined })
    expect(imageCalls(upstream, SHARED)).toHaveLength(THRESHOLD + 1)
  })
})

describe('one tenant spelling its header two ways', () => {
  it('is still one caller: it cannot open the region for others, nor leave its own circuit', async () => {
    mallory = 'fail'
    const spellings = ['Bearer ', 'bearer  ', 'BEARER ']
    for (let call = 0; call < THRESHOLD; call++) {
      expect(await ask(SHARED, 'mallory-spelling', spellings[call % 3])).toMatchObject({
        code: 'UPSTREAM_ERROR',
      })
    }
    for (const scheme of spellings) {
      expect(await ask(SHARED, 'mallory-spelling', scheme)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' })
    }
    expect(imageCalls(upstream, SHARED)).toHaveLength(THRESHOLD)
    expect(await ask(SHARED, 'alice')).toEqual({ totalCount: 1, code: undefined })
    // The Region Service gets the header in one spelling, whatever the caller sent.
    expect(new Set(imageCalls(upstream, SHARED).map((call) => call.headers.authorization))).toEqual(
      new Set(['Bearer mallory-spelling', 'Bearer alice']),
    )
  })
})

describe('a region down for everyone', () => {
  it('fails fast for everyone once more than one caller saw it fail', async () => {
    for (let call = 0; call < THRESHOLD; call++) {
      expect(await ask(DOWN, call % 2 === 0 ? 'alice' : 'bob')).toMatchObject({ code: 'UPSTREAM_ERROR' })
    }
    expect(await ask(DOWN, 'carol')).toEqual({ totalCount: undefined, code: 'UPSTREAM_UNAVAILABLE' })
    expect(imageCalls(upstream, DOWN)).toHaveLength(THRESHOLD)
  })
})

describe('running out of file descriptors', () => {
  let upstreamOfChild: RunningFakeUpstream
  let child: GatewayProcess

  beforeAll(async () => {
    upstreamOfChild = await startFakeUpstream({
      regions: [makeRegion(SHARED, 'shared')],
      images: { [SHARED]: [makeImage({ name: 'ubuntu-24.04' })] },
    })
    child = await spawnGateway({ REGION_API_URL: upstreamOfChild.url, UPSTREAM_RETRIES: '0' })
  })

  afterAll(async () => {
    await child?.exit()
    await upstreamOfChild?.close()
  })

  /** The soft limit of open files of a process; setting it to what it holds stops new sockets. */
  function fileLimit(pid: number, limit?: string): string {
    if (limit !== undefined) execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${limit}:`])
    return execFileSync('prlimit', [`--pid=${pid}`, '--nofile', '--output=SOFT', '--noheadings'])
      .toString()
      .trim()
  }

  it('never counts against the region', async () => {
    const pid = child.child.pid as number
    // One connection per tenant, opened while files are left; every upstream call needs a new one.
    const tenants = ['alice', 'bob'].map((name) => ({ name, connection: new Agent({ connections: 1 }) }))
    const post = async (tenant: (typeof tenants)[number], query = QUERY) => {
      const response = await request(`${child.url}/graphql`, {
        method: 'POST',
        dispatcher: tenant.connection,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.name}` },
        body: JSON.stringify({ query, variables: { id: SHARED } }),
      })
      return (await response.body.json()) as { errors?: { extensions?: { code?: string } }[] }
    }
    try {
      // The tenants' connections open while files are left; no upstream connection is open yet.
      for (const tenant of tenants) {
        expect((await post(tenant, 'query($id: ID!) { region(id: $id) { id } }')).errors).toBeUndefined()
      }
      const original = fileLimit(pid)
      fileLimit(pid, String(readdirSync(`/proc/${pid}/fd`).length))
      for (let round = 0; round < THRESHOLD; round++) {
        for (const tenant of tenants) {
          const codes = (await post(tenant)).errors?.map((error) => error.extensions?.code)
          expect(codes).toEqual(['GATEWAY_OVERLOADED'])
        }
      }
      fileLimit(pid, original)
      const calls = imageCalls(upstreamOfChild).length
      expect(
        (await post({ name: 'carol', connection: tenants[0]?.connection as Agent })).errors,
      ).toBeUndefined()
      expect(imageCalls(upstreamOfChild).length).toBe(calls + 1)
    } finally {
      for (const tenant of tenants) await tenant.connection.close()
    }
  })
})
