/**
 * The hostile mix: attackers beside a normal client on one gateway, for a while. Attackers send
 * distinct ~90 KB filters, distinct ~88 KB documents, queries over regions whose answers never
 * end, and calls of a tenant the upstream always fails; the normal client reads a few regions,
 * one of them the failing tenant's too. Reported: the normal client's latency and errors (an
 * error: a status other than 200, a GraphQL error, or a region that failed), what each attacker
 * sent, and the gateway's resident memory.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Agent, request } from 'undici'
import { benchRegionId, FAILING_TENANT } from './data.js'

export interface HostileMixRegions {
  /** Regions the normal client reads; the failing tenant reads the first of them. */
  readonly normal: readonly number[]
  /** Regions the filter attacker reads. */
  readonly filtered: readonly number[]
  /** Regions whose answers never end. */
  readonly endless: readonly number[]
}

export interface HostileMixResult {
  readonly seconds: number
  readonly normal: { requests: number; errors: number; p50: number; p99: number }
  /** Requests each attacker sent. */
  readonly attacks: { filters: number; documents: number; endless: number; failingTenant: number }
  readonly gatewayRss: { peakMiB: number; maxSampledMiB: number; endMiB: number }
}

const TOKEN = 'Bearer bench-hostile'

export async function hostileMix(
  gateway: { url: string; pid: number },
  regions: HostileMixRegions,
  seconds: number,
): Promise<HostileMixResult> {
  const dispatcher = new Agent({ connections: 16 })
  const post = async (body: unknown, token: string) => {
    const response = await request(`${gateway.url}/graphql`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify(body),
    })
    const text = await response.body.text()
    return { status: response.statusCode, text }
  }
  const ids = (numbers: readonly number[]) => numbers.map(benchRegionId)
  const until = performance.now() + seconds * 1000
  const attacks = { filters: 0, documents: 0, endless: 0, failingTenant: 0 }
  /** Runs `send` back to back on `loops` loops until time is up; counts into attacks[name]. */
  const attack = (name: keyof typeof attacks, loops: number, send: (n: number) => Promise<unknown>) =>
    Promise.all(
      Array.from({ length: loops }, async () => {
        while (performance.now() < until) {
          await send(attacks[name]++).catch(() => undefined)
        }
      }),
    )

  const normalQuery = `query Normal($ids: [ID!]!) { images(regionIds: $ids, status: [READY], first: 20) {
    totalCount regions { regionId ok } facets { distros { value count } } nodes { id name sizeGiB os { distro version } } } }`
  const timings: number[] = []
  let normalErrors = 0
  const normal = Promise.all(
    Array.from({ length: 2 }, async () => {
      while (performance.now() < until) {
        const started = performance.now()
        try {
          const { status, text } = await post(
            { query: normalQuery, variables: { ids: ids(regions.normal) } },
            TOKEN,
          )
          timings.push(performance.now() - started)
          const body = JSON.parse(text) as {
            errors?: unknown
            data?: { images: { regions: { ok: boolean }[] } }
          }
          if (status !== 200 || body.errors || !body.data?.images.regions.every((region) => region.ok))
            normalErrors++
        } catch {
          normalErrors++
        }
      }
    }),
  )

  const filterQuery = `query Filtered($ids: [ID!]!, $filter: ImageFilter) { images(regionIds: $ids, filter: $filter, first: 10) { totalCount } }`
  const documentOf = (n: number) =>
    `query Attack${n} { ${Array.from(
      { length: 8 },
      (_, alias) =>
        `a${n}x${alias}${'y'.repeat(11_000)}: region(id: "${benchRegionId(regions.normal[0] ?? 1)}") { images { totalCount } }`,
    ).join(' ')} }`
  const endlessQuery = `query Endless($ids: [ID!]!) { images(regionIds: $ids) { totalCount } }`

  let peakSampled = 0
  const sampler = setInterval(() => {
    peakSampled = Math.max(peakSampled, residentMiB(gateway.pid).now)
  }, 250)
  await Promise.all([
    normal,
    attack('filters', 2, (n) =>
      post(
        {
          query: filterQuery,
          variables: {
            ids: ids(regions.filtered),
            filter: {
              os: { distros: Array.from({ length: 3000 }, (_, i) => `distro-${n}-${i}-padding-text`) },
            },
          },
        },
        `${TOKEN}-filters`,
      ),
    ),
    attack('documents', 2, (n) => post({ query: documentOf(n) }, `${TOKEN}-documents`)),
    attack('endless', 1, () =>
      post({ query: endlessQuery, variables: { ids: ids(regions.endless) } }, `${TOKEN}-endless`),
    ),
    attack('failingTenant', 1, () =>
      post(
        { query: normalQuery, variables: { ids: ids(regions.normal.slice(0, 1)) } },
        `Bearer ${FAILING_TENANT}`,
      ),
    ),
  ])
  clearInterval(sampler)
  await dispatcher.close()
  const sorted = [...timings].sort((a, b) => a - b)
  const at = (share: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0)
  const memory = residentMiB(gateway.pid)
  return {
    seconds,
    normal: { requests: timings.length, errors: normalErrors, p50: at(0.5), p99: at(0.99) },
    attacks,
    gatewayRss: { peakMiB: memory.peak, maxSampledMiB: peakSampled, endMiB: memory.now },
  }
}

function residentMiB(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { now: round(kib('VmRSS') / 1024), peak: round(kib('VmHWM') / 1024) }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
