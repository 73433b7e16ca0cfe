import { badUserInput } from './errors.js'
import { isUuid } from './uuid.js'

/** Rejects a non-UUID id before it can reach an upstream URL; returns it in lower case. */
export function requireUuid(value: string, argument: string): string {
  if (!isUuid(value)) {
    throw badUserInput(`"${argument}" must be a UUID; got ${quoteBounded(value)}.`, argument)
  }
  // One spelling per id, so case variants share one upstream call, cache entry and breaker.
  return value.toLowerCase()
}

/** Deduplicates a list of UUIDs in request order, rejecting the first that is not one. */
export function requireUuids(values: readonly string[], argument: string): string[] {
  return [...new Set(values.map((value) => requireUuid(value, argument)))]
}

function quoteBounded(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value)
}
