import { AnswerComparison, type KnownAnswer } from './answer-memo.js'
import type { BudgetAccount, ByteBudget } from './byte-budget.js'
import type { BodyConsumer } from './exchange.js'

export interface BodyBytes {
  readonly chunks: readonly Buffer[]
  readonly size: number
  /** The kept answer the body equals byte for byte (its chunks were not kept). */
  readonly known?: KnownAnswer
}

/**
 * A body taken chunk by chunk, up to `limit` bytes and while the process-wide budget has room
 * for it. Compared with `known` answers as it arrives: chunks that one of them still matches
 * are not kept.
 */
export class BoundedBody implements BodyConsumer {
  readonly #limit: number
  readonly #account: BudgetAccount
  readonly #comparison: AnswerComparison | undefined
  #chunks: Buffer[] = []
  #size = 0
  /** Reading stopped because the budget had no room: it was full, or larger readers won. */
  overBudget = false

  constructor(limit: number, budget: ByteBudget, known: readonly KnownAnswer[] = []) {
    this.#limit = limit
    this.#account = budget.open(() => {
      // Made to give way: what was read goes, and reading stops at the next chunk.
      this.overBudget = true
      this.#chunks = []
    })
    this.#comparison = known.length > 0 ? new AnswerComparison(known) : undefined
  }

  /** Takes a chunk; false once the body is past the limit or the budget (read no further). */
  write(chunk: Buffer): boolean {
    this.#size += chunk.length
    if (this.#size > this.#limit || this.overBudget) return false
    // Chunks that match a kept answer are not kept, and what they matched is the memo's.
    const kept = this.#comparison ? this.#comparison.next(chunk) : [chunk]
    if (kept.length > 0 && !this.#account.take(chunk.length)) {
      this.overBudget = true
      return false
    }
    this.#chunks.push(...kept)
    return true
  }

  /** The body, once its last chunk was written. */
  end(): BodyBytes {
    const outcome = this.#comparison?.end()
    if (outcome && 'known' in outcome) return { chunks: [], size: this.#size, known: outcome.known }
    if (outcome) this.#chunks.push(...outcome.owed)
    return { chunks: this.#chunks, size: this.#size }
  }

  /** Gives the bytes taken back to the budget; the body is not used after this. */
  release(): void {
    this.#account.close()
  }
}
