import type { UpstreamObserver } from '../upstream/observer.js'

/**
 * One observer that tells every given observer about every call, in order. An observer that
 * throws is reported to `onError` and skipped; the others still see the whole call (a failed
 * start never leaves another observer's call open).
 */
export function combineUpstreamObservers(
  observers: readonly (UpstreamObserver | undefined)[],
  onError: (error: unknown) => void,
): UpstreamObserver | undefined {
  const present = observers.filter((observer): observer is UpstreamObserver => observer !== undefined)
  if (present.length <= 1) return present[0]
  const eachOf = <T, R>(items: readonly T[], callback: (item: T) => R): R[] => {
    const results: R[] = []
    for (const item of items) {
      try {
        results.push(callback(item))
      } catch (error) {
        onError(error)
      }
    }
    return results
  }
  return {
    callStarted(call) {
      const scopes = eachOf(present, (observer) => observer.callStarted(call))
      return {
        headers: Object.assign({}, ...eachOf(scopes, (scope) => scope.headers)),
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
