import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)

// An answer that only one request used must be freed by the young-generation collections
// after it, not copied into the old generation: with 10,000 images, copying it cost the
// gateway about 10 ms of collection per request (scenario 4 of the benchmark).
it('frees an answer parsed for one request without promoting it to the old generation', async () => {
  const script = new URL('./scripts/answer-lifetime.ts', import.meta.url).pathname
  const { stdout } = await run(
    process.execPath,
    // A young generation that holds the whole request, so only the collections after it count.
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', '--import', 'tsx', script],
    { timeout: 30_000 },
  )
  const { bodyBytes, droppedPromoted, keptPromoted } = JSON.parse(stdout) as {
    bodyBytes: number
    droppedPromoted: number
    keptPromoted: number
  }
  // The measurement sees an answer that is still referenced...
  expect(keptPromoted).toBeGreaterThan(bodyBytes)
  // ...and almost nothing of one that is not.
  expect(droppedPromoted).toBeLessThan(keptPromoted / 8)
})
