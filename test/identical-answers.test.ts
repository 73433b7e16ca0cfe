import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { UpstreamImage } from '../src/upstream/types.js'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway } from './helpers/harness.js'
import { parsePrometheusText } from './helpers/prometheus.js'

const REGION = uuid(1, 'd')
const ALICE = 'alice-token-5e1b'
const BOB = 'bob-token-90c4'
const CAROL = 'carol-token-2f7d'

/** Alice and Bob get byte-identical answers; Carol's differs (an image only she sees). */
let catalogue: UpstreamImage[] = [makeImage({ id: 'img-1', name: 'debian-12' })]
const carolsOwn = makeImage({ id: 'img-carol', name: 'carols-snapshot' })

async function startUpstream(): Promise<RunningFakeUpstream> {
  return startFakeUpstream(
    { regions: [makeRegion(REGION, 'one')], images: {} },
    {
      intercept: (request, res) => {
        const carol = request.headers.authorization === `Bearer ${CAROL}`
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(carol ? [...catalogue, carolsOwn] : catalogue))
        return true
      },
    },
  )
}

const QUERY = `{ region(id: "${REGION}") { images { nodes { name } } } }`

async function namesFor(gateway: RunningGateway, token: string): Promise<string[] | undefined> {
  const { body } = await gateway.query<{ region: { images: { nodes: { name: string }[] } } }>(
    QUERY,
    {},
    { token },
  )
  return body.data?.region.images.nodes.map((node) => node.name)
}

async function reusedAnswers(gateway: RunningGateway): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text()
  const family = parsePrometheusText(text).get('gateway_upstream_answers_reused_total')
  return family?.samples.reduce((sum, sample) => sum + sample.value, 0) ?? 0
}

describe('byte-identical upstream answers', () => {
  let upstream: RunningFakeUpstream
  let gateway: RunningGateway
  let withoutMemo: RunningGateway

  beforeAll(async () => {
    upstream = await startUpstream()
    gateway = await startGateway(upstream.url)
    withoutMemo = await startGateway(upstream.url, { upstreamAnswerMemoBytes: 0 })
  })

  afterAll(async () => {
    await gateway.close()
    await withoutMemo.close()
    await upstream.close()
  })

  beforeEach(() => {
    upstream.requests.length = 0
    catalogue = [makeImage({ id: 'img-1', name: 'debian-12' })]
  })

  it('are parsed once they recur, while every caller still makes its own call with its own token', async () => {
    const before = await reusedAnswers(gateway)
    const reused = async () => (await reusedAnswers(gateway)) - before
    // First sighting: only the bytes' key is remembered. Second: parsed and kept. Then shared.
    expect(await namesFor(gateway, ALICE)).toEqual(['debian-12'])
    expect(await namesFor(gateway, BOB)).toEqual(['debian-12'])
    expect(await reused()).toBe(0)
    expect(await namesFor(gateway, ALICE)).toEqual(['debian-12'])
    expect(await reused()).toBe(1)
    // Carol's answer has other bytes: parsed on its own, never another caller's value.
    expect(await namesFor(gateway, CAROL)).toEqual(['carols-snapshot', 'debian-12'])
    expect(await namesFor(gateway, CAROL)).toEqual(['carols-snapshot', 'debian-12'])
    expect(await reused()).toBe(1)
    expect(imageCalls(upstream).map((call) => call.headers.authorization)).toEqual([
      `Bearer ${ALICE}`,
      `Bearer ${BOB}`,
      `Bearer ${ALICE}`,
      `Bearer ${CAROL}`,
      `Bearer ${CAROL}`,
    ])
  })

  it('never serve an earlier answer once the bytes change', async () => {
    expect(await namesFor(gateway, ALICE)).toEqual(['debian-12'])
    catalogue = [
      makeImage({ id: 'img-1', name: 'debian-12' }),
      makeImage({ id: 'img-2', name: 'ubuntu-24.04' }),
    ]
    expect(await namesFor(gateway, ALICE)).toEqual(['debian-12', 'ubuntu-24.04'])
    catalogue = [makeImage({ id: 'img-1', name: 'debian-12' })]
    expect(await namesFor(gateway, BOB)).toEqual(['debian-12'])
    expect(imageCalls(upstream)).toHaveLength(3)
  })

  it('never serve an earlier answer when a large one changes near its end, or in its first bytes', async () => {
    // About 400 kB: it arrives in several chunks, compared with the kept answer as they come.
    const many = Array.from({ length: 800 }, (_, index) =>
      makeImage({ id: `img-${index}`, name: `image-${String(index).padStart(4, '0')}` }),
    )
    const renamed = (images: UpstreamImage[], at: number, name: string) =>
      images.map((image, index) =>
        index === at ? { ...image, metadata: { ...image.metadata, name } } : image,
      )
    const matching = async (token: string, needle: string) => {
      const { body } = await gateway.query<{ region: { images: { totalCount: number } } }>(
        `{ region(id: "${REGION}") { images(filter: { nameContains: "${needle}" }) { totalCount } } }`,
        {},
        { token },
      )
      return body.data?.region.images.totalCount
    }
    catalogue = many
    for (const token of [ALICE, BOB, ALICE]) expect(await matching(token, 'image-')).toBe(800)
    catalogue = renamed(many, 799, 'changed-last')
    expect(await matching(BOB, 'changed-last')).toBe(1)
    catalogue = renamed(many, 0, 'changed-first')
    expect(await matching(ALICE, 'changed-')).toBe(1)
    expect(await matching(ALICE, 'image-')).toBe(799)
  })

  it('are keyed by the call: the same bytes for another organization view are parsed on their own', async () => {
    const ownedQuery = `{ region(id: "${REGION}") { images(organizationIds: ["${ORG_A}"]) { totalCount } } }`
    // The plain list's bytes are kept by now (earlier tests); the owned list's call has its own key.
    await namesFor(gateway, ALICE)
    const before = await reusedAnswers(gateway)
    const reused = async () => (await reusedAnswers(gateway)) - before
    await gateway.query(ownedQuery, {}, { token: BOB })
    await gateway.query(ownedQuery, {}, { token: ALICE })
    expect(await reused()).toBe(0)
    await gateway.query(ownedQuery, {}, { token: BOB })
    expect(await reused()).toBe(1)
    expect(imageCalls(upstream)).toHaveLength(4)
  })

  it('are not shared when the memo is off', async () => {
    for (const token of [ALICE, BOB, ALICE, BOB]) {
      expect(await namesFor(withoutMemo, token)).toEqual(['debian-12'])
    }
    expect(await reusedAnswers(withoutMemo)).toBe(0)
  })
})
