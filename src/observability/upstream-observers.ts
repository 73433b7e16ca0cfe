import type { UpstreamObserver } from '../upstream/client.js'

/** One observer that tells every given observer about every call, in order. */
export function combineUpstreamObservers(
  observers: readonly (UpstreamObserver | undefined)[],
): UpstreamObserver | undefined {
  const present = observers.filter((observer): observer is UpstreamObserver => observer !== undefined)
  if (present.length <= 1) return present[0]
  return {
    callStarted(call) {
      const scopes = eachOf(present, (observer) => observer.callStarted(call))
      return {
        headers: Object.assign({}, ...scopes.map((scope) => scope.headers)),
        retrying(attempt, reason) {
          eachOf(scopes, (scope) => scope.retrying?.(attempt, reason))
        },
        finished(result) {
          eachOf(scopes, (scope) => scope.finished(result))
        },
      }
    },
    circuitStateChanged(regionId, state) {
      eachOf(present, (observer) => observer.circuitStateChanged?.(regionId, state))
    },
  }
}

/**
 * Calls `callback` for every item even when some throw, so one broken observer never keeps
 * the others from seeing a call; then throws the first failure for the caller to report.
 */
function eachOf<T, R>(items: readonly T[], callback: (item: T) => R): R[] {
  const results: R[] = []
  let failure: { error: unknown } | undefined
  for (const item of items) {
    try {
      results.push(callback(item))
    } catch (error) {
      failure ??= { error }
    }
  }
  if (failure) throw failure.error
  return results
}
