import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planImageList } from '../src/images/connection.js'
import { createLoaders, regionImagesKey } from '../src/loaders.js'
import { SILENT, testClient } from './helpers/client.js'
import { imageCalls, type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'

const REGION = uuid(1, 'f')
const plan = planImageList({ status: ['READY'] }, { first: 10 }, 'test')

describe("the models of byte-identical answers (the client's answer memo)", () => {
  let upstream: RunningFakeUpstream

  beforeAll(async () => {
    upstream = await startFakeUpstream({
      regions: [makeRegion(REGION, 'one')],
      images: { [REGION]: [makeImage({ name: 'debian-12' }), makeImage({ name: 'ubuntu-24.04' })] },
    })
  })

  afterAll(async () => {
    await upstream.close()
  })

  /** One request each, each its own caller: what the loaders hand to the resolvers. */
  async function answersOfRequests(answerMemoBytes: number, requests: number) {
    const client = testClient(upstream.url, { answerMemoBytes })
    const before = imageCalls(upstream, REGION).length
    const answers = []
    for (let request = 0; request < requests; request++) {
      const caller = client.forCaller({
        authorization: `Bearer caller-${request}`,
        callerKey: `caller-${request}`,
        requestId: `r-${request}`,
        log: SILENT,
      })
      answers.push(
        await createLoaders(caller, { maxUpstreamCalls: 50 }).imagesByRegionKey.load(
          regionImagesKey(REGION, [], null),
        ),
      )
    }
    await client.close()
    expect(imageCalls(upstream, REGION).length - before).toBe(requests)
    return answers
  }

  it('are made once, with their selections, once the memo hands out the same array', async () => {
    const [first, second, third, fourth] = await answersOfRequests(1024 * 1024, 4)
    // Kept from the second arrival; the first array it hands out again is the third's.
    expect(second).not.toBe(first)
    expect(third).not.toBe(second)
    expect(fourth).toBe(third)
    expect(fourth?.select(plan)).toBe(third?.select(plan))
    expect(third?.images.map((image) => image.name)).toEqual(['debian-12', 'ubuntu-24.04'])
  })

  it('are made per request when nothing is shared', async () => {
    const answers = await answersOfRequests(0, 4)
    expect(new Set(answers).size).toBe(4)
  })
})
