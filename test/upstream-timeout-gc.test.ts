import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)

// A timeout signal that only feeds AbortSignal.any can be collected before it fires
// (nodejs/node#57736): the call then never times out. Only visible with collections running.
it('times an upstream call out while the garbage collector runs, with a client signal attached', async () => {
  const script = new URL('./scripts/timeout-under-gc.ts', import.meta.url).pathname
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    timeout: 20_000,
  })
  const { ended, afterMs } = JSON.parse(stdout) as { ended: string; afterMs: number }
  expect(ended).toBe('timeout')
  // 300 ms budget; the trickling answer would take 3 s.
  expect(afterMs).toBeLessThan(1500)
})
