import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'

/**
 * Parsed, contract-checked upstream answers by what they are: the request path and a SHA-256
 * of the exact body bytes.
 *
 * Many callers receive byte-identical answers: everyone sees the same global images of a
 * region, members of one organization the same owned ones. Each caller still makes its own
 * call with its own token; only identical bytes are parsed and checked once and then share one
 * value (and what the gateway derives from it: models, filtered and sorted selections). A
 * value depends on nothing but the bytes, so sharing it tells a caller nothing its own answer
 * did not. Values are never mutated. Bounded by the body bytes held.
 *
 * An answer is kept from the second time its bytes arrive: answers nobody else receives (one
 * caller's own view, a list that changes on every call) never take memory from those that are
 * shared; only their keys are remembered, in a bounded list.
 */
export class AnswerMemo {
  readonly #entries: LRUCache<string, object>
  readonly #seen = new LRUCache<string, true>({ max: 4096 })

  constructor(maxBytes: number) {
    this.#entries = new LRUCache<string, object>({ maxSize: maxBytes })
  }

  /** The memo key of a body received for `path`. */
  static keyOf(path: string, chunks: readonly Buffer[]): string {
    const hash = createHash('sha256')
    for (const chunk of chunks) hash.update(chunk)
    return `${path}\n${hash.digest('base64')}`
  }

  get(key: string): object | undefined {
    return this.#entries.get(key)
  }

  /**
   * Offers a value parsed from `bytes` bytes: kept if these bytes arrived before (and fit in
   * the memo), otherwise only its key is remembered.
   */
  offer(key: string, value: object, bytes: number): void {
    if (!this.#seen.has(key)) {
      this.#seen.set(key, true)
      return
    }
    if (bytes > 0 && bytes <= this.#entries.maxSize) this.#entries.set(key, value, { size: bytes })
  }

  clear(): void {
    this.#entries.clear()
    this.#seen.clear()
  }
}
