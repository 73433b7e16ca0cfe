import type { UpstreamCallScope, UpstreamObserver } from '../upstream/client.js'

/** One observer that tells every given observer about every call, in order. */
export function combineUpstreamObservers(
  observers: readonly (UpstreamObserver | undefined)[],
): UpstreamObserver | undefined {
  const present = observers.filter((observer): observer is UpstreamObserver => observer !== undefined)
  if (present.length <= 1) return present[0]
  return {
    callStarted(call) {
      const scopes: UpstreamCallScope[] = present.map((observer) => observer.callStarted(call))
      return {
        headers: Object.assign({}, ...scopes.map((scope) => scope.headers)),
        retrying(attempt, reason) {
          for (const scope of scopes) scope.retrying?.(attempt, reason)
        },
        finished(result) {
          for (const scope of scopes) scope.finished(result)
        },
      }
    },
    circuitStateChanged(regionId, state) {
      for (const observer of present) observer.circuitStateChanged?.(regionId, state)
    },
  }
}
