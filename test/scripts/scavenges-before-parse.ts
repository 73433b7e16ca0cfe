/**
 * Run by test/young-generation.test.ts in a child process, with or without --expose-gc: reads a
 * large and a small image list through the upstream client (answer memo off) and prints, as
 * JSON, how many forced young-generation collections each call caused and how many images
 * each answered.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { LARGE_ANSWER_BYTES } from '../../src/upstream/young-generation.js'
import { SILENT, testClient } from '../helpers/client.js'
import { makeImage, uuid } from '../helpers/fixtures.js'

const LARGE = uuid(1)
const SMALL = uuid(2)
const imagesOf = (count: number) =>
  JSON.stringify(Array.from({ length: count }, (_, index) => makeImage({ id: uuid(index, 'e') })))
const bodies = new Map([
  [`/api/v2/regions/${LARGE}/images`, imagesOf(8_000)],
  [`/api/v2/regions/${SMALL}/images`, imagesOf(100)],
])
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(bodies.get(req.url ?? ''))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

let forcedMinor = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind, flags } = (entry as unknown as { detail: { kind: number; flags: number } }).detail
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR && flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) {
      forcedMinor++
    }
  }
}).observe({ entryTypes: ['gc'] })

const client = testClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
  answerMemoBytes: 0,
})
const caller = client.forCaller({ authorization: 'Bearer t', callerKey: 't', requestId: 'r', log: SILENT })

async function read(regionId: string) {
  await sleep(50)
  const before = forcedMinor
  const { images } = await caller.listImages({ regionId, organizationIds: [] })
  // Entries of the observer arrive after the collection, on a later turn of the loop.
  await sleep(50)
  return { images: images.length, forcedMinor: forcedMinor - before }
}

const result = {
  largeBytes: bodies.get(`/api/v2/regions/${LARGE}/images`)?.length,
  smallBytes: bodies.get(`/api/v2/regions/${SMALL}/images`)?.length,
  threshold: LARGE_ANSWER_BYTES,
  large: await read(LARGE),
  small: await read(SMALL),
}
process.stdout.write(`${JSON.stringify(result)}\n`)
await client.close()
server.closeAllConnections()
server.close()
