import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { TOKEN } from './harness.js'

const MiB = 1024 * 1024

/** Thousands of requests on a busy machine: a bound on a hang, not on speed. */
export const HEAVY_TIMEOUT_MS = 120_000

/** Resident memory of a process now and at its peak, in MiB (Linux /proc). */
export function residentMiB(pid: number): { readonly now: number; readonly peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { now: (kib('VmRSS') * 1024) / MiB, peak: (kib('VmHWM') * 1024) / MiB }
}

export interface GraphQLPost {
  readonly status: number
  readonly body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }
}

/** A keep-alive client of one gateway: POSTs GraphQL bodies with the test token. */
export function graphqlClient(url: string, connections = 8) {
  const dispatcher = new Agent({ connections })
  return {
    async post(body: unknown, token = TOKEN): Promise<GraphQLPost> {
      const response = await request(`${url}/graphql`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      })
      return { status: response.statusCode, body: (await response.body.json()) as GraphQLPost['body'] }
    },
    close: () => dispatcher.close(),
  }
}

/** Runs `count` tasks, `concurrency` at a time, in order of their index. */
export async function runAll(count: number, concurrency: number, task: (index: number) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++)
    }),
  )
}
