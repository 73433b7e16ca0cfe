/**
 * Bytes of upstream answers being read, process-wide. Each call reading a body opens an account
 * and takes from it as chunks arrive; closing the account gives them back.
 *
 * When a chunk does not fit, the largest accounts give way first: an account holding more than
 * the one asking would is evicted (its call stops reading, its bytes go back), until the chunk
 * fits. Only when the asking account would be the largest does it fail itself. So slow or
 * endless answers cannot starve the small answers of other callers: the biggest reader loses.
 */
export class ByteBudget {
  readonly limit: number
  #used = 0
  readonly #accounts = new Set<BudgetAccount>()

  constructor(limit: number) {
    this.limit = limit
  }

  /** Bytes held by all open accounts. */
  get used(): number {
    return this.#used
  }

  /** An account for one body; `onEvicted` is called if it is made to give way to another. */
  open(onEvicted: () => void): BudgetAccount {
    const account = new BudgetAccount(this, onEvicted)
    this.#accounts.add(account)
    return account
  }

  /** @internal Takes `bytes` for `account`, evicting larger accounts when they do not fit. */
  take(account: BudgetAccount, bytes: number): boolean {
    while (this.#used + bytes > this.limit) {
      const largest = this.#largestOtherThan(account)
      if (!largest || largest.held <= account.held + bytes) return false
      largest.evict()
    }
    this.#used += bytes
    return true
  }

  /** @internal */
  close(account: BudgetAccount, held: number): void {
    this.#used -= held
    this.#accounts.delete(account)
  }

  #largestOtherThan(account: BudgetAccount): BudgetAccount | undefined {
    let largest: BudgetAccount | undefined
    for (const candidate of this.#accounts) {
      if (candidate !== account && (!largest || candidate.held > largest.held)) largest = candidate
    }
    return largest
  }
}

/** One body's share of a ByteBudget. */
export class BudgetAccount {
  readonly #budget: ByteBudget
  readonly #onEvicted: () => void
  #held = 0
  #closed = false

  constructor(budget: ByteBudget, onEvicted: () => void) {
    this.#budget = budget
    this.#onEvicted = onEvicted
  }

  get held(): number {
    return this.#held
  }

  /** Takes `bytes`; false (nothing taken) when they do not fit even after larger accounts gave way. */
  take(bytes: number): boolean {
    if (this.#closed || !this.#budget.take(this, bytes)) return false
    this.#held += bytes
    return true
  }

  /** Gives everything back; later takes fail. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#budget.close(this, this.#held)
    this.#held = 0
  }

  /** @internal Made to give way to a smaller account. */
  evict(): void {
    if (this.#closed) return
    this.close()
    this.#onEvicted()
  }
}
