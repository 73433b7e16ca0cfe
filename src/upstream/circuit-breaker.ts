export type CircuitState = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open a circuit. */
  readonly failureThreshold: number
  /** How long an open circuit rejects calls before it lets one probe through. */
  readonly cooldownMs: number
  /** Clock in milliseconds; injectable for tests. */
  readonly now?: () => number
  /** Circuits remembered at most; the oldest is forgotten beyond that. */
  readonly maxTracked?: number
  readonly onStateChange?: (key: string, state: CircuitState) => void
}

export type Admission =
  | { readonly admitted: true; readonly probe: boolean }
  | { readonly admitted: false; readonly retryInMs: number }

interface Circuit {
  state: CircuitState
  failures: number
  openedAt: number
  probing: boolean
}

const ADMITTED: Admission = { admitted: true, probe: false }

/**
 * One circuit breaker per key (a region). Closed: calls go through and consecutive failures
 * are counted. Open: calls fail fast until the cool-down is over. Half-open: exactly one probe
 * goes through; its success closes the circuit, its failure opens it again. Only circuits
 * with failures are kept, so the map stays small whatever keys callers send.
 */
export class CircuitBreakers {
  readonly #options: CircuitBreakerOptions
  readonly #now: () => number
  readonly #circuits = new Map<string, Circuit>()

  constructor(options: CircuitBreakerOptions) {
    this.#options = options
    this.#now = options.now ?? (() => performance.now())
  }

  state(key: string): CircuitState {
    return this.#circuits.get(key)?.state ?? 'closed'
  }

  /** Whether a call may go out now; a probe must be settled with success, failure or release. */
  admit(key: string): Admission {
    const circuit = this.#circuits.get(key)
    if (!circuit || circuit.state === 'closed') return ADMITTED
    if (circuit.state === 'open') {
      const waited = this.#now() - circuit.openedAt
      if (waited < this.#options.cooldownMs) {
        return { admitted: false, retryInMs: Math.ceil(this.#options.cooldownMs - waited) }
      }
      this.#change(key, circuit, 'half-open')
    }
    if (circuit.probing) return { admitted: false, retryInMs: 0 }
    circuit.probing = true
    return { admitted: true, probe: true }
  }

  /** The key answered: whatever its state, the circuit closes. */
  recordSuccess(key: string): void {
    const circuit = this.#circuits.get(key)
    if (!circuit) return
    this.#circuits.delete(key)
    if (circuit.state !== 'closed') this.#options.onStateChange?.(key, 'closed')
  }

  /** The key failed (timeout, connection error, 5xx). */
  recordFailure(key: string, probe: boolean): void {
    let circuit = this.#circuits.get(key)
    if (!circuit) {
      circuit = { state: 'closed', failures: 0, openedAt: 0, probing: false }
      this.#track(key, circuit)
    }
    circuit.failures++
    if (circuit.state === 'half-open' && probe) {
      circuit.probing = false
      this.#open(key, circuit)
    } else if (circuit.state === 'closed' && circuit.failures >= this.#options.failureThreshold) {
      this.#open(key, circuit)
    }
  }

  /** A call ended without saying anything about the key's health (e.g. never sent). */
  release(key: string, probe: boolean): void {
    const circuit = this.#circuits.get(key)
    if (probe && circuit?.state === 'half-open') circuit.probing = false
  }

  #open(key: string, circuit: Circuit): void {
    circuit.openedAt = this.#now()
    this.#change(key, circuit, 'open')
  }

  #change(key: string, circuit: Circuit, state: CircuitState): void {
    circuit.state = state
    this.#options.onStateChange?.(key, state)
  }

  #track(key: string, circuit: Circuit): void {
    const limit = this.#options.maxTracked ?? 10_000
    if (this.#circuits.size >= limit) {
      const oldest = this.#circuits.keys().next()
      if (!oldest.done) this.#circuits.delete(oldest.value)
    }
    this.#circuits.set(key, circuit)
  }
}
