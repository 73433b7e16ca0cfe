import { badUserInput } from '../errors.js'
import type { ImageModel } from './model.js'
import type { ImageOrdering, SortKey } from './ordering.js'

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 500

export interface PageArgs {
  readonly first?: number | null | undefined
  readonly after?: string | null | undefined
  readonly last?: number | null | undefined
  readonly before?: string | null | undefined
}

/** Validated paging: sizes checked, cursors decoded against the list's fingerprint. */
export interface PageRequest {
  readonly first: number | undefined
  readonly last: number | undefined
  readonly after: SortKey | undefined
  readonly before: SortKey | undefined
}

export interface PageSlice {
  readonly start: number
  readonly end: number
  readonly hasPreviousPage: boolean
  readonly hasNextPage: boolean
}

const CURSOR_VERSION = 1

/**
 * Checks paging arguments before anything is fetched. Cursors are keyset positions, so a page
 * stays correct when images are added or removed between requests.
 */
export function toPageRequest(args: PageArgs, ordering: ImageOrdering, fingerprint: string): PageRequest {
  const first = pageSize(args.first, 'first')
  const last = pageSize(args.last, 'last')
  if (first !== undefined && last !== undefined) {
    throw badUserInput('Pass either "first" or "last", not both.', 'first')
  }
  return {
    first: first ?? (last === undefined ? DEFAULT_PAGE_SIZE : undefined),
    last,
    after: args.after == null ? undefined : decodeCursor(args.after, ordering, fingerprint, 'after'),
    before: args.before == null ? undefined : decodeCursor(args.before, ordering, fingerprint, 'before'),
  }
}

function pageSize(value: number | null | undefined, name: string): number | undefined {
  if (value == null) return undefined
  if (value < 0 || value > MAX_PAGE_SIZE) {
    throw badUserInput(`"${name}" must be between 0 and ${MAX_PAGE_SIZE}; got ${value}.`, name)
  }
  return value
}

export function encodeCursor(fingerprint: string, key: SortKey): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, fingerprint, ...key]), 'utf8').toString('base64url')
}

function decodeCursor(cursor: string, ordering: ImageOrdering, fingerprint: string, name: string): SortKey {
  let decoded: unknown
  try {
    decoded = /^[A-Za-z0-9_-]+$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : null
  } catch {
    decoded = null
  }
  if (!Array.isArray(decoded) || decoded[0] !== CURSOR_VERSION) {
    throw badUserInput(`"${name}" is not a cursor of this list.`, name)
  }
  if (decoded[1] !== fingerprint) {
    throw badUserInput(
      `"${name}" belongs to a list with other filters or another order; start again without a cursor.`,
      name,
    )
  }
  const key = decoded.slice(2)
  if (!ordering.fitsKey(key)) throw badUserInput(`"${name}" is not a cursor of this list.`, name)
  return key
}

/** The slice of a sorted list that a page covers, with honest hasPrevious/hasNext flags. */
export function slicePage(
  items: readonly ImageModel[],
  ordering: ImageOrdering,
  page: PageRequest,
): PageSlice {
  let start = page.after === undefined ? 0 : firstIndexAbove(items, ordering, page.after, true)
  let end = page.before === undefined ? items.length : firstIndexAbove(items, ordering, page.before, false)
  if (end < start) end = start
  if (page.first !== undefined) end = Math.min(end, start + page.first)
  if (page.last !== undefined) start = Math.max(start, end - page.last)
  return { start, end, hasPreviousPage: start > 0, hasNextPage: end < items.length }
}

/** Binary search: the first index whose image sorts after the key (or at/after it when not strict). */
function firstIndexAbove(
  items: readonly ImageModel[],
  ordering: ImageOrdering,
  key: SortKey,
  strict: boolean,
) {
  let low = 0
  let high = items.length
  while (low < high) {
    const middle = (low + high) >>> 1
    const order = ordering.compareToKey(items[middle] as ImageModel, key)
    if (order < 0 || (strict && order === 0)) low = middle + 1
    else high = middle
  }
  return low
}
