import { createHash, hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { answerHeapBytes } from './answer-size.js'

/** An answer kept by the memo: its exact body bytes and the value parsed and checked from them. */
export interface KnownAnswer {
  readonly bytes: Buffer
  readonly value: object
}

/** Different answers kept for one path (callers of one region who see different images). */
const ANSWERS_PER_PATH = 4

/**
 * Parsed, contract-checked upstream answers by what they are: the request path and the exact
 * body bytes.
 *
 * Many callers receive byte-identical answers: everyone sees the same global images of a
 * region, members of one organization the same owned ones. Each caller still makes its own
 * call with its own token; only identical bytes are parsed and checked once and then share one
 * value (and what the gateway derives from it: models, filtered and sorted selections). A
 * value depends on nothing but the bytes, so sharing it tells a caller nothing its own answer
 * did not. Values are never mutated.
 *
 * A body is compared with the kept answers of its path as it arrives (see AnswerComparison),
 * so an answer seen before costs a byte comparison: no hash, no parse, and no chunk kept.
 *
 * An answer is kept from the second time its bytes arrive: answers nobody else receives (one
 * caller's own view, a list that changes on every call) never take memory from those that are
 * shared; only a hash of them is remembered, in a list of fixed length.
 *
 * Bounded in bytes: a kept answer counts its body, the heap of its parsed value and derived
 * data (answerHeapBytes) and its key. Paths carry the caller's organization ids, so a long
 * one is keyed by its hash.
 */
export class AnswerMemo {
  readonly #byPath: LRUCache<string, readonly KnownAnswer[]>
  readonly #seen = new LRUCache<string, true>({ max: SEEN_ANSWERS })

  constructor(maxBytes: number) {
    this.#byPath = new LRUCache<string, readonly KnownAnswer[]>({ maxSize: maxBytes })
  }

  /** Bytes held now, by the estimate the bound applies to. */
  get bytes(): number {
    return this.#byPath.calculatedSize + this.#seen.size * SEEN_ENTRY_BYTES
  }

  /** The answers kept for `path`, most recently kept first. */
  known(path: string): readonly KnownAnswer[] {
    return this.#byPath.get(pathKey(path)) ?? []
  }

  /**
   * Offers a value parsed from a body of `size` bytes that matched no kept answer: kept if
   * these bytes arrived before (and fit in the memo), otherwise only their hash is remembered.
   */
  offer(path: string, chunks: readonly Buffer[], size: number, value: object): void {
    const bodyHash = createHash('sha256')
    for (const chunk of chunks) bodyHash.update(chunk)
    const key = pathKey(path)
    const seenKey = `${key}\n${bodyHash.digest('base64')}`
    if (!this.#seen.has(seenKey)) {
      this.#seen.set(seenKey, true)
      return
    }
    const maxSize = this.#byPath.maxSize
    if (size === 0 || sizeOf([{ bytes: { length: size } }]) > maxSize) return
    const bytes = Buffer.concat(chunks, size)
    const kept = this.#byPath.get(key) ?? []
    // Concurrent calls may all have missed before the first of them kept these bytes.
    if (kept.some((answer) => answer.bytes.equals(bytes))) return
    const answers = [{ bytes, value }, ...kept].slice(0, ANSWERS_PER_PATH)
    while (sizeOf(answers) > maxSize) answers.pop()
    this.#byPath.set(key, answers, { size: sizeOf(answers) })
  }

  clear(): void {
    this.#byPath.clear()
    this.#seen.clear()
  }
}

/** Hashes of answers seen once, remembered to tell a repeated answer. */
const SEEN_ANSWERS = 4096
/** What one remembered hash holds: a key and a base64 SHA-256 digest in a string, and the LRU's node. */
const SEEN_ENTRY_BYTES = 1024

/** A path as a key: itself when short, as most are, else its hash (it carries organization ids). */
function pathKey(path: string): string {
  return path.length <= MAX_PLAIN_PATH ? path : hash('sha256', path, 'base64')
}

const MAX_PLAIN_PATH = 256

/** The body bytes of the answers, the heap of their values, and one hashed key. */
function sizeOf(answers: readonly { readonly bytes: { readonly length: number } }[]): number {
  let size = KEY_BYTES
  for (const answer of answers) size += answer.bytes.length + answerHeapBytes(answer.bytes.length)
  return size
}

/** A key of at most MAX_PLAIN_PATH characters, with the LRU's bookkeeping for it. */
const KEY_BYTES = 768

/**
 * Follows a body, chunk by chunk, against the kept answers of its path. While one of them
 * still matches every byte so far, the chunks need not be kept: they can be rebuilt from it.
 */
export class AnswerComparison {
  #matching: readonly KnownAnswer[]
  #size = 0

  constructor(known: readonly KnownAnswer[]) {
    this.#matching = known
  }

  /**
   * The chunks of the body to keep after `chunk`: none while a kept answer still matches;
   * once none does, the bytes they had matched followed by this chunk, then each chunk.
   */
  next(chunk: Buffer): Buffer[] {
    const offset = this.#size
    const end = offset + chunk.length
    this.#size = end
    if (this.#matching.length === 0) return [chunk]
    const still = this.#matching.filter(
      (known) => known.bytes.length >= end && known.bytes.compare(chunk, 0, chunk.length, offset, end) === 0,
    )
    if (still.length > 0) {
      this.#matching = still
      return []
    }
    const matched = (this.#matching[0] as KnownAnswer).bytes.subarray(0, offset)
    this.#matching = []
    return offset > 0 ? [matched, chunk] : [chunk]
  }

  /**
   * After the last chunk: the kept answer the whole body equals, or the chunks still owed
   * (the bytes matched so far, when the body is a shorter start of a kept answer).
   */
  end(): { readonly known: KnownAnswer } | { readonly owed: Buffer[] } {
    const size = this.#size
    const known = this.#matching.find((answer) => answer.bytes.length === size)
    if (known) return { known }
    const longer = this.#matching[0]
    return { owed: longer && size > 0 ? [longer.bytes.subarray(0, size)] : [] }
  }
}
