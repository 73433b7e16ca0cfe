import type { UpstreamProbe } from './api.js'
import type { RegionApiClient } from './client.js'

export interface ReadinessCheckResult {
  readonly ready: boolean
  /** Why not, for the /readyz body and the log; no URLs or secrets. */
  readonly reason?: string | undefined
}

export interface UpstreamReadinessOptions {
  /** Budget of one probe. */
  readonly timeoutMs?: number
  /** How long a probe's answer is reused, so frequent probes of many pods stay cheap upstream. */
  readonly cacheMs?: number
  /** Clock, for tests. */
  readonly now?: () => number
}

export type ReadinessCheck = () => Promise<ReadinessCheckResult>

/**
 * The optional upstream part of readiness: ready while the Region Service answers HTTP at all.
 * At most one probe runs at a time and its answer is reused for `cacheMs`, however often
 * `/readyz` is asked. Off by default (READINESS_UPSTREAM_CHECK): when every replica shares one
 * upstream, an upstream outage marks them all unready and clients get connection errors
 * instead of the gateway's own UPSTREAM_UNAVAILABLE answers, so operators opt in.
 */
export function upstreamReadinessCheck(
  client: Pick<RegionApiClient, 'probe'>,
  options: UpstreamReadinessOptions = {},
): ReadinessCheck {
  const timeoutMs = options.timeoutMs ?? 2000
  const cacheMs = options.cacheMs ?? 5000
  const now = options.now ?? (() => performance.now())
  let last: { readonly at: number; readonly result: ReadinessCheckResult } | undefined
  let running: Promise<ReadinessCheckResult> | undefined
  return () => {
    if (last && now() - last.at < cacheMs) return Promise.resolve(last.result)
    running ??= client
      .probe(timeoutMs)
      .then(asReadiness)
      .then((result) => {
        last = { at: now(), result }
        return result
      })
      .finally(() => {
        running = undefined
      })
    return running
  }
}

function asReadiness(probe: UpstreamProbe): ReadinessCheckResult {
  return probe.reachable ? { ready: true } : { ready: false, reason: probe.reason }
}
