/** Raised when a slot did not free up within the caller's wait budget. */
export class QueueTimeoutError extends Error {
  constructor() {
    super('no upstream call slot became free in time')
    this.name = 'QueueTimeoutError'
  }
}

/** Raised when the caller gave up (its signal aborted) before a slot was held. */
export class AcquireCancelledError extends Error {
  constructor() {
    super('the caller gave up waiting for an upstream call slot')
    this.name = 'AcquireCancelledError'
  }
}

interface Waiter {
  readonly resolve: (release: () => void) => void
  readonly reject: (error: Error) => void
  timer: NodeJS.Timeout | undefined
  /** Stops listening to the caller's signal once the waiter leaves the queue. */
  forget: (() => void) | undefined
}

/**
 * A counting semaphore with a FIFO queue: at most `max` holders at once. Waiting is bounded
 * by the caller's budget, so a queue can delay a call but never hold it past its deadline.
 */
export class ConcurrencyLimit {
  readonly max: number
  #active = 0
  readonly #queue: Waiter[] = []

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer')
    this.max = max
  }

  get active(): number {
    return this.#active
  }

  get queued(): number {
    return this.#queue.length
  }

  /**
   * Resolves with a release function once a slot is held; rejects after `waitMs` in the queue,
   * or as soon as `signal` aborts (the caller no longer wants the slot).
   */
  acquire(waitMs: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AcquireCancelledError())
    if (this.#active < this.max) {
      this.#active++
      return Promise.resolve(this.#releaser())
    }
    if (waitMs <= 0) return Promise.reject(new QueueTimeoutError())
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, forget: undefined }
      const leave = (error: Error) => {
        const index = this.#queue.indexOf(waiter)
        if (index >= 0) this.#queue.splice(index, 1)
        clearTimeout(waiter.timer)
        waiter.forget?.()
        reject(error)
      }
      waiter.timer = setTimeout(() => leave(new QueueTimeoutError()), waitMs)
      if (signal) {
        const onAbort = () => leave(new AcquireCancelledError())
        signal.addEventListener('abort', onAbort, { once: true })
        waiter.forget = () => signal.removeEventListener('abort', onAbort)
      }
      this.#queue.push(waiter)
    })
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#queue.shift()
      if (next) {
        clearTimeout(next.timer)
        next.forget?.()
        // The slot passes straight to the next waiter; the count stays the same.
        next.resolve(this.#releaser())
      } else {
        this.#active--
      }
    }
  }
}
