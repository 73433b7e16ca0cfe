import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const script = new URL('./scripts/scavenges-before-parse.ts', import.meta.url).pathname

interface Calls {
  largeBytes: number
  smallBytes: number
  threshold: number
  large: { images: number; forcedMinor: number }
  small: { images: number; forcedMinor: number }
}

async function readBoth(flags: readonly string[]): Promise<Calls> {
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', script], { timeout: 30_000 })
  return JSON.parse(stdout) as Calls
}

describe('the young generation is emptied before a large answer is parsed', () => {
  it('collects once before parsing an answer over the threshold, never before a small one', async () => {
    const calls = await readBoth(['--expose-gc'])
    expect(calls.largeBytes).toBeGreaterThan(calls.threshold)
    expect(calls.smallBytes).toBeLessThan(calls.threshold)
    expect(calls.large).toEqual({ images: 8_000, forcedMinor: 1 })
    expect(calls.small).toEqual({ images: 100, forcedMinor: 0 })
  })

  it('answers the same without --expose-gc, collecting nothing', async () => {
    const calls = await readBoth([])
    expect(calls.large).toEqual({ images: 8_000, forcedMinor: 0 })
    expect(calls.small).toEqual({ images: 100, forcedMinor: 0 })
  })
})
