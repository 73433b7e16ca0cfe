export type CircuitState = 'closed' | 'open' | 'half-open'

/** Whom an open circuit stops: everyone's calls to a region, or one caller's. */
export type CircuitScope = 'region' | 'caller'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open a circuit. */
  readonly failureThreshold: number
  /** How long an open circuit rejects calls before it lets a probe through. */
  readonly cooldownMs: number
  /** Distinct callers whose failures it takes to open a region's circuit for everyone. */
  readonly minCallers: number
  /** Clock in milliseconds; injectable for tests. */
  readonly now?: () => number
  /** Circuits remembered at most, per scope; the oldest is forgotten beyond that. */
  readonly maxTracked?: number
  readonly onStateChange?: (region: string, state: CircuitState, scope: CircuitScope) => void
}

/** How an admitted call ended, as far as the circuits care; settle it exactly once. */
export interface CircuitTicket {
  /** The region answered (any status it is responsible for). */
  succeeded(): void
  /** A timeout, a connection failure or a 5xx. */
  failed(): void
  /** The region answered, but with nothing this caller can use: counts against the caller only. */
  failedForCaller(): void
  /** The call ended without saying anything about the region (never sent, client left). */
  released(): void
}

export type Admission =
  | { readonly admitted: true; readonly ticket: CircuitTicket }
  | { readonly admitted: false; readonly scope: CircuitScope; readonly retryInMs: number }

interface Circuit {
  state: CircuitState
  /** Consecutive failures since the last success. */
  failures: number
  openedAt: number
}

interface RegionCircuit extends Circuit {
  /** Callers among those consecutive failures, up to `minCallers` of them. */
  readonly failedCallers: Set<string>
  /** Half-open: the caller whose probe is in flight. */
  prober: string | undefined
  /**
   * Half-open: callers whose probe failed, and when. Each may probe again only after a
   * cool-down of its own, so it cannot hold the region open, and is not locked out either.
   */
  readonly failedProbers: Map<string, number>
}

interface CallerCircuit extends Circuit {
  probing: boolean
}

/**
 * Circuit breakers for upstream regions that one caller cannot turn against the others.
 *
 * Every (region, caller) pair has a circuit: after `failureThreshold` consecutive failures of
 * that caller's calls, only that caller fails fast for the cool-down. A region's own circuit,
 * which stops everyone, opens only on evidence from more than one caller: `failureThreshold`
 * consecutive failures (no success from anyone in between) from at least `minCallers` distinct
 * callers. So a region down for everyone still fails fast for everyone, while failures that
 * only one caller sees (its token makes the upstream fail, or time out) stay that caller's.
 *
 * Open circuits let probes through after the cool-down: a caller's circuit one at a time; a
 * region's circuit one at a time, each from a caller whose probe has not failed yet, and it
 * opens again only when probes of `minCallers` distinct callers failed. Any success closes.
 * Only circuits with failures are kept, up to `maxTracked` per scope.
 */
export class CircuitBreakers {
  readonly #options: CircuitBreakerOptions
  readonly #now: () => number
  readonly #regions = new Map<string, RegionCircuit>()
  readonly #callers = new Map<string, CallerCircuit>()

  constructor(options: CircuitBreakerOptions) {
    this.#options = options
    this.#now = options.now ?? (() => performance.now())
  }

  /** The state of a region's circuit (the one that stops everyone). */
  state(region: string): CircuitState {
    return this.#regions.get(region)?.state ?? 'closed'
  }

  /** The state of one caller's circuit for a region. */
  callerState(region: string, caller: string): CircuitState {
    return this.#callers.get(callerKey(region, caller))?.state ?? 'closed'
  }

  /** Whether `caller` may call `region` now; an admitted call's ticket must be settled. */
  admit(region: string, caller: string): Admission {
    const key = callerKey(region, caller)
    const own = this.#callers.get(key)
    let callerProbe = false
    if (own && own.state !== 'closed') {
      const waitMs = this.#remainingCooldown(own)
      if (waitMs > 0) return { admitted: false, scope: 'caller', retryInMs: waitMs }
      if (own.state === 'open') this.#change(region, own, 'half-open', 'caller')
      if (own.probing) return { admitted: false, scope: 'caller', retryInMs: 0 }
      own.probing = callerProbe = true
    }
    const shared = this.#regions.get(region)
    let regionProbe = false
    if (shared && shared.state !== 'closed') {
      const waitMs = this.#remainingCooldown(shared)
      if (waitMs === 0 && shared.state === 'open') {
        shared.prober = undefined
        shared.failedProbers.clear()
        this.#change(region, shared, 'half-open', 'region')
      }
      const proberWaitMs = this.#proberCooldown(shared, caller)
      if (waitMs > 0 || shared.prober !== undefined || proberWaitMs > 0) {
        if (own && callerProbe) own.probing = false
        return { admitted: false, scope: 'region', retryInMs: Math.max(waitMs, proberWaitMs) }
      }
      shared.prober = caller
      regionProbe = true
    }
    return { admitted: true, ticket: this.#ticket(region, caller, key, regionProbe, callerProbe) }
  }

  #ticket(
    region: string,
    caller: string,
    key: string,
    regionProbe: boolean,
    callerProbe: boolean,
  ): CircuitTicket {
    let settled = false
    const settle = (outcome: 'success' | 'failure' | 'callerFailure' | 'release') => {
      if (settled) return
      settled = true
      const shared = this.#regions.get(region)
      const own = this.#callers.get(key)
      if (regionProbe && shared?.prober === caller) shared.prober = undefined
      if (callerProbe && own) own.probing = false
      if (outcome === 'success') this.#succeeded(region, key, shared, own)
      else if (outcome === 'failure') this.#failed(region, caller, key, shared, own, regionProbe, callerProbe)
      else if (outcome === 'callerFailure') this.#callerFailed(region, key, own, callerProbe)
    }
    return {
      succeeded: () => settle('success'),
      failed: () => settle('failure'),
      failedForCaller: () => settle('callerFailure'),
      released: () => settle('release'),
    }
  }

  #succeeded(
    region: string,
    key: string,
    shared: RegionCircuit | undefined,
    own: CallerCircuit | undefined,
  ): void {
    if (own) {
      this.#callers.delete(key)
      if (own.state !== 'closed') this.#options.onStateChange?.(region, 'closed', 'caller')
    }
    if (shared) {
      this.#regions.delete(region)
      if (shared.state !== 'closed') this.#options.onStateChange?.(region, 'closed', 'region')
    }
  }

  #failed(
    region: string,
    caller: string,
    key: string,
    shared: RegionCircuit | undefined,
    own: CallerCircuit | undefined,
    regionProbe: boolean,
    callerProbe: boolean,
  ): void {
    const { failureThreshold, minCallers } = this.#options
    this.#callerFailed(region, key, own, callerProbe)
    const circuit =
      shared ??
      this.#track(this.#regions, region, {
        state: 'closed',
        failures: 0,
        openedAt: 0,
        failedCallers: new Set<string>(),
        prober: undefined,
        failedProbers: new Map<string, number>(),
      })
    if (circuit.state === 'closed') {
      circuit.failures++
      if (circuit.failedCallers.size < minCallers) circuit.failedCallers.add(caller)
      if (circuit.failures >= failureThreshold && circuit.failedCallers.size >= minCallers) {
        this.#open(region, circuit, 'region')
      }
    } else if (circuit.state === 'half-open' && regionProbe) {
      circuit.failedProbers.set(caller, this.#now())
      const recent = [...circuit.failedProbers.keys()].filter(
        (prober) => this.#proberCooldown(circuit, prober) > 0,
      )
      if (recent.length >= minCallers) this.#open(region, circuit, 'region')
    }
  }

  #callerFailed(region: string, key: string, own: CallerCircuit | undefined, callerProbe: boolean): void {
    const mine =
      own ?? this.#track(this.#callers, key, { state: 'closed', failures: 0, openedAt: 0, probing: false })
    mine.failures++
    if (
      (mine.state === 'half-open' && callerProbe) ||
      (mine.state === 'closed' && mine.failures >= this.#options.failureThreshold)
    ) {
      this.#open(region, mine, 'caller')
    }
  }

  /** Milliseconds before a caller whose half-open probe failed may probe again; 0 when it may. */
  #proberCooldown(circuit: RegionCircuit, caller: string): number {
    const failedAt = circuit.failedProbers.get(caller)
    if (failedAt === undefined) return 0
    return Math.max(0, Math.ceil(this.#options.cooldownMs - (this.#now() - failedAt)))
  }

  /** Milliseconds left of an open circuit's cool-down; 0 when over or not open. */
  #remainingCooldown(circuit: Circuit): number {
    if (circuit.state !== 'open') return 0
    return Math.max(0, Math.ceil(this.#options.cooldownMs - (this.#now() - circuit.openedAt)))
  }

  #open(region: string, circuit: Circuit, scope: CircuitScope): void {
    circuit.openedAt = this.#now()
    this.#change(region, circuit, 'open', scope)
  }

  #change(region: string, circuit: Circuit, state: CircuitState, scope: CircuitScope): void {
    circuit.state = state
    this.#options.onStateChange?.(region, state, scope)
  }

  #track<T extends Circuit>(circuits: Map<string, T>, key: string, circuit: T): T {
    const limit = this.#options.maxTracked ?? 10_000
    if (circuits.size >= limit) {
      const oldest = circuits.keys().next()
      if (!oldest.done) circuits.delete(oldest.value)
    }
    circuits.set(key, circuit)
    return circuit
  }
}

function callerKey(region: string, caller: string): string {
  return `${region}\n${caller}`
}
