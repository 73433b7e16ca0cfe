/**
 * Run by test/answer-lifetime.test.ts in a child process with --expose-gc and a young
 * generation large enough to hold one answer: serves a region of 10,000 images over HTTP, then
 * answers one image list the way a request does (client with the answer memo off, loaders, the
 * connection with a selection, facets and a lookup by id). It measures how much of that work
 * young-generation collections move to the old generation, once with the request's result
 * dropped and once with it kept, and prints both (and the body size) as JSON.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getHeapSpaceStatistics } from 'node:v8'
import { buildImageConnection, planImageList } from '../../src/images/connection.js'
import { facetCounts } from '../../src/images/facets.js'
import { createLoaders, regionImagesKey } from '../../src/loaders.js'
import { SILENT, testClient } from '../helpers/client.js'
import { makeImage, uuid } from '../helpers/fixtures.js'

const exposed = (globalThis as { gc?: (options: { type: 'minor' | 'major' }) => void }).gc
if (!exposed) throw new Error('run with --expose-gc')
const gc = exposed

const REGION = uuid(1)
const DISTROS = ['ubuntu', 'debian', 'rocky']
const body = JSON.stringify(
  Array.from({ length: 10_000 }, (_, index) =>
    makeImage({
      id: uuid(index, 'e'),
      name: `image-${String(index).padStart(5, '0')}`,
      spec: {
        sizeGiB: 10 * (1 + (index % 8)),
        os: { kernel: 'linux', family: 'debian', distro: DISTROS[index % 3] as string, version: '1' },
      },
    }),
  ),
)
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(body)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

const client = testClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
  answerMemoBytes: 0,
})

/** What one request does with one region's answer; returns what a caller could keep. */
async function answerOnce(): Promise<unknown> {
  const loaders = createLoaders(
    client.forCaller({ authorization: 'Bearer t', callerKey: 't', requestId: 'r', log: SILENT }),
    { maxUpstreamCalls: 50 },
  )
  const answer = await loaders.imagesByRegionKey.load(regionImagesKey(REGION, [], null))
  const plan = planImageList({ status: ['READY'], filter: { maxSizeGiB: 40 } }, { first: 50 }, 'test')
  const connection = buildImageConnection([{ regionId: REGION, images: answer }], plan)
  facetCounts(connection.facets.images, 'distros')
  answer.find(uuid(7, 'e'))
  return { answer, connection }
}

const oldSpaceUsed = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0

/** Old-generation bytes gained over one request and two young-generation collections after it. */
async function promotedBy(keep: boolean): Promise<{ promoted: number; kept: unknown }> {
  gc({ type: 'major' })
  // The old generation is swept concurrently: its used size is exact only once that is done.
  await new Promise((resolve) => setTimeout(resolve, 200))
  gc({ type: 'minor' })
  const before = oldSpaceUsed()
  let kept: unknown
  // Nothing of the result may stay on this frame when dropped, not even as an awaited value.
  await answerOnce().then((result) => {
    if (keep) kept = result
  })
  gc({ type: 'minor' })
  gc({ type: 'minor' })
  return { promoted: oldSpaceUsed() - before, kept }
}

// Compiles everything on the path first: bytecode is allocated in the old generation too.
for (let warm = 0; warm < 3; warm++) await answerOnce()
const dropped = await promotedBy(false)
const kept = await promotedBy(true)
process.stdout.write(
  `${JSON.stringify({ bodyBytes: body.length, droppedPromoted: dropped.promoted, keptPromoted: kept.promoted })}\n`,
)
await client.close()
server.closeAllConnections()
server.close()
