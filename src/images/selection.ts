import type { ImageState } from '../generated/graphql.js'
import type { ImageModel } from './model.js'
import type { ImageOrder } from './ordering.js'

/** Everything that decides which images a list holds and in what order (paging aside). */
export interface ImageSelection {
  /** Only these states; all when undefined. Applied in the gateway, never as an extra upstream call. */
  readonly status?: readonly ImageState[] | undefined
  readonly orderBy?: readonly ImageOrder[] | undefined
}

export type ImagePredicate = (image: ImageModel) => boolean

/** One predicate for the whole selection, or null when it keeps every image. */
export function selectionPredicate(selection: ImageSelection): ImagePredicate | null {
  const predicates: ImagePredicate[] = []
  if (selection.status !== undefined) {
    const states = new Set(selection.status)
    predicates.push((image) => states.has(image.state))
  }
  if (predicates.length === 0) return null
  if (predicates.length === 1) return predicates[0] as ImagePredicate
  return (image) => predicates.every((predicate) => predicate(image))
}

/** A stable, short fingerprint of a selection: cursors carry it so they only fit the list they came from. */
export function selectionFingerprint(selection: ImageSelection): string {
  const canonical = JSON.stringify([
    selection.status ? [...new Set(selection.status)].sort() : null,
    selection.orderBy ?? null,
  ])
  return fnv1a(canonical)
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(36)
}
