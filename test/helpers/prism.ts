import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { freeLoopbackPort } from './harness.js'

const require = createRequire(import.meta.url)
const PRISM_CLI = join(require.resolve('@stoplight/prism-cli/package.json'), '..', 'dist', 'index.js')
const ROOT = new URL('../..', import.meta.url).pathname

/** What Prism prints for a request or response that breaks the contract. */
export const VIOLATION = /(✖|⚠)\s+(error|warning|fatal)\b|violation/i

export interface RunningPrism {
  readonly url: string
  /** Every line Prism printed so far (its log is text, one event per line). */
  readonly lines: string[]
  /**
   * Runs `action`, then sends a sentinel request that Prism must reject and waits for Prism to
   * log it: Prism logs in order, so every line `action` caused is in by then. Returns those
   * lines (the sentinel's own excluded) and what Prism answered the sentinel.
   */
  window(
    action: () => Promise<void>,
  ): Promise<{ lines: string[]; sentinelStatus: number; sentinelLines: string[] }>
  close(): Promise<void>
}

/**
 * Starts Stoplight Prism (the dev dependency) as a validating proxy on loopback: every request
 * is checked against the spec before it is forwarded to `upstreamUrl`, every answer after, and
 * with --errors a violation becomes an error answer and an error line in the log.
 */
export async function startPrismProxy(specPath: string, upstreamUrl: string): Promise<RunningPrism> {
  const port = await freeLoopbackPort()
  const child: ChildProcess = spawn(
    process.execPath,
    [PRISM_CLI, 'proxy', specPath, upstreamUrl, '--host', '127.0.0.1', '--port', String(port), '--errors'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    },
  )
  const exited = once(child, 'exit')
  const lines: string[] = []
  let buffered = ''
  const collect = (chunk: Buffer) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colour codes.
    buffered += chunk.toString('utf8').replace(/\u001b\[[0-9;]*m/g, '')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    lines.push(...parts.filter((line) => line.trim() !== ''))
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const url = `http://127.0.0.1:${port}`
  await waitFor(
    () => lines.some((line) => line.includes(`Prism is listening on ${url}`)),
    30_000,
    () => `Prism did not start:\n${lines.join('\n')}`,
    exited,
  )

  let sentinels = 0
  return {
    url,
    lines,
    async window(action) {
      const mark = lines.length
      await action()
      sentinels++
      const sentinelRegion = `ffffffff-ffff-4fff-8fff-${String(sentinels).padStart(12, '0')}`
      const response = await fetch(`${url}/api/v2/regions/${sentinelRegion}/images?scope=sideways`, {
        headers: { authorization: 'Bearer sentinel' },
      })
      await response.arrayBuffer()
      await waitFor(
        () => lines.slice(mark).some((line) => line.includes(sentinelRegion) && /terminated/i.test(line)),
        10_000,
        () => `Prism never logged the sentinel:\n${lines.slice(mark).join('\n')}`,
      )
      const after = lines.slice(mark)
      const first = after.findIndex((line) => line.includes(sentinelRegion))
      return {
        lines: after.slice(0, first),
        sentinelStatus: response.status,
        sentinelLines: after.slice(first).filter((line) => line.includes(sentinelRegion)),
      }
    },
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  message: () => string,
  exited?: Promise<unknown>,
): Promise<void> {
  let gone = false
  exited?.then(() => {
    gone = true
  })
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (gone) throw new Error(`Prism exited. ${message()}`)
    if (Date.now() > deadline) throw new Error(message())
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
