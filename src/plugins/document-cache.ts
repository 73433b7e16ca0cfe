import { hash } from 'node:crypto'
import type { DocumentNode } from 'graphql'
import type { YogaServerOptions } from 'graphql-yoga'
import { LRUCache } from 'lru-cache'

/**
 * Estimated heap of a kept document per character of its text, and per entry: its AST, its
 * validation result and the code graphql-jit compiles for it, which all live as long as the
 * document does. Rounded up from bench/results/2026-12-04-memory-estimates.md.
 */
const BYTES_PER_CHARACTER = 128
const BYTES_PER_ENTRY = 8 * 1024
/** A parse error keeps the text (in its Source) and little else. */
const BYTES_PER_ERROR_CHARACTER = 2

/** The largest share of the cache one document may take: larger ones are parsed every time. */
const MAX_ENTRY_SHARE = 16

type CacheOptions = Exclude<
  YogaServerOptions<object, object>['parserAndValidationCache'],
  boolean | undefined
>

/**
 * yoga's parse cache, bounded in bytes by an estimate of what each kept document holds, and
 * keyed by a hash of the text (a caller's text may be as large as the request). A document too
 * large for its share is not kept: it is parsed and executed without being compiled, so
 * distinct large documents cost CPU, never memory.
 */
export class DocumentCache {
  readonly maxBytes: number
  readonly #entries:
    | LRUCache<string, { readonly document: DocumentNode } | { readonly error: unknown }>
    | undefined
  readonly #kept = new WeakSet<DocumentNode>()

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
    this.#entries =
      maxBytes > 0
        ? new LRUCache({ maxSize: maxBytes, maxEntrySize: Math.floor(maxBytes / MAX_ENTRY_SHARE) })
        : undefined
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.#entries?.calculatedSize ?? 0
  }

  /** Whether the document is one this cache keeps, so compiling it once pays off. */
  keeps(document: DocumentNode): boolean {
    return this.#kept.has(document)
  }

  /** The `parserAndValidationCache` option of yoga (validation results live on the document). */
  yogaOptions(): CacheOptions {
    const entries = this.#entries
    return {
      documentCache: {
        get: (text) => {
          const entry = entries?.get(textKey(text))
          return entry && 'document' in entry ? entry.document : undefined
        },
        set: (text, document) => {
          const size = BYTES_PER_ENTRY + text.length * BYTES_PER_CHARACTER
          if (!entries || size > entries.maxEntrySize) return
          entries.set(textKey(text), { document }, { size })
          this.#kept.add(document)
        },
      },
      errorCache: {
        get: (text) => {
          const entry = entries?.get(textKey(text))
          return entry && 'error' in entry ? entry.error : undefined
        },
        set: (text, error) => {
          const size = BYTES_PER_ENTRY + text.length * BYTES_PER_ERROR_CHARACTER
          if (entries && size <= entries.maxEntrySize) entries.set(textKey(text), { error }, { size })
        },
      },
      validationCache: true,
    }
  }
}

function textKey(text: string): string {
  return hash('sha256', text, 'base64url')
}
