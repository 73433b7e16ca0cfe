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
 */
export class AnswerMemo {
  readonly #entries: LRUCache<string, object>

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

  /** Keeps a value parsed from `bytes` bytes (larger than the whole memo: not kept). */
  set(key: string, value: object, bytes: number): void {
    if (bytes > 0 && bytes <= this.#entries.maxSize) this.#entries.set(key, value, { size: bytes })
  }

  clear(): void {
    this.#entries.clear()
  }
}
