import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway } from './helpers/harness.js'

// Bounded: a fixed number of requests on loopback; autocannon stops by itself.
const REQUESTS = 3000
const CONNECTIONS = 24
const TOKENS = Array.from({ length: 6 }, (_, index) => `load-${index}-${randomBytes(12).toString('hex')}`)
const REGIONS = [uuid(1, '9'), uuid(2, '9')]

/** What the fake upstream shows each caller: image names derived from a hash of its token. */
function tokenTag(authorization: string): string {
  return createHash('sha256').update(authorization).digest('hex').slice(0, 12)
}

function imagesFor(authorization: string, regionId: string) {
  const tag = tokenTag(authorization)
  return Array.from({ length: 4 }, (_, index) =>
    makeImage({ id: `${tag}-${regionId.slice(-1)}-${index}`, name: `${tag}-${regionId.slice(-1)}-${index}` }),
  )
}

let upstream: RunningFakeUpstream
let gateway: RunningGateway

beforeAll(async () => {
  upstream = await startFakeUpstream(
    { regions: REGIONS.map((id) => makeRegion(id, id.slice(-4))), images: {} },
    {
      intercept: async (request, res) => {
        const regionId = /\/regions\/([^/]+)\/images$/.exec(request.path)?.[1]
        const authorization = request.headers.authorization
        if (!regionId || !authorization) return false
        // A little jitter, so answers for different callers interleave.
        await sleep(Math.floor(Math.random() * 4))
        const body = JSON.stringify(imagesFor(authorization, regionId))
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.end(body)
        return true
      },
    },
  )
  gateway = await startGateway(upstream.url)
})

afterAll(async () => {
  await gateway.close()
  await upstream.close()
})

describe('load from several callers at once', () => {
  it(`answers ${REQUESTS} requests from ${TOKENS.length} tokens without a failure or a mix-up`, async () => {
    const query = JSON.stringify({
      query:
        'query Load($ids: [ID!]!) { images(regionIds: $ids, first: 100) { totalCount nodes { name } regions { ok } } }',
      variables: { ids: REGIONS },
    })
    const checked = { ok: 0, foreign: 0, wrong: 0 }
    const requests = TOKENS.map((token) => {
      const authorization = `Bearer ${token}`
      const expected = REGIONS.flatMap((regionId) =>
        imagesFor(authorization, regionId).map((image) => image.metadata.name),
      )
        .sort()
        .join(',')
      const others = TOKENS.filter((other) => other !== token).map((other) => tokenTag(`Bearer ${other}`))
      return {
        method: 'POST' as const,
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization },
        body: query,
        onResponse: (status: number, body: string) => {
          if (others.some((tag) => body.includes(tag))) checked.foreign++
          const names = (
            JSON.parse(body) as { data?: { images?: { nodes?: { name: string }[] } } }
          ).data?.images?.nodes?.map((node) => node.name)
          if (status === 200 && names?.sort().join(',') === expected) checked.ok++
          else checked.wrong++
        },
      }
    })

    const result = await autocannon({
      url: gateway.url,
      connections: CONNECTIONS,
      amount: REQUESTS,
      timeout: 10,
      requests,
    })

    expect({
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      resets: result.resets,
      ok: result['2xx'],
    }).toEqual({ errors: 0, timeouts: 0, non2xx: 0, resets: 0, ok: REQUESTS })
    expect(checked).toEqual({ ok: REQUESTS, foreign: 0, wrong: 0 })
    // Every upstream call went out under one of the callers' own tokens.
    const imageCalls = upstream.requests.filter((request) => request.path.endsWith('/images'))
    const callers = new Set(imageCalls.map((request) => request.headers.authorization))
    expect([...callers].sort()).toEqual(TOKENS.map((token) => `Bearer ${token}`).sort())
    const log = gateway.logs.lines.join('\n')
    for (const token of TOKENS) expect(log).not.toContain(token)
    expect(gateway.logs.records.filter((record) => record.msg === 'request')).toHaveLength(REQUESTS)
  }, 120_000)
})
