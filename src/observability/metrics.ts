import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type {
  CircuitState,
  UpstreamCallResult,
  UpstreamCallScope,
  UpstreamCallStart,
  UpstreamObserver,
} from '../upstream/observer.js'
import { CANCELLED_CODE, CIRCUIT_OPEN_CODE, callOutcomeCode } from './call-outcome.js'
import { BoundedLabel } from './labels.js'

/** How a GraphQL operation ended, as the operations counter labels it. */
export type OperationOutcome =
  /** Executed without errors. */
  | 'success'
  /** Executed; some fields failed, some data came back. */
  | 'partial'
  /** Executed; no data came back. */
  | 'error'
  /** Not executed: the document did not parse or validate, or the request was refused. */
  | 'rejected'
  /** The client went away before the response was sent. */
  | 'cancelled'

export interface OperationObservation {
  /** The label value, already bounded (see `operationLabel`). */
  readonly operationName: string
  readonly outcome: OperationOutcome
  readonly durationSeconds: number
}

export interface MetricsOptions {
  /** Most distinct operation names kept as label values; later ones count as "other". */
  readonly maxOperationNames?: number
  /** Most distinct region ids kept as label values; later ones count as "other". */
  readonly maxRegions?: number
  readonly version?: string
}

export const OTHER_LABEL = 'other'
export const ANONYMOUS_OPERATION = 'anonymous'
/** Region label of a call the Region Service has not yet vouched for (see `regionLabel`). */
export const UNVERIFIED_REGION = 'unverified'
/** Region label of calls that belong to no region (the organization's region list). */
export const NO_REGION = 'none'

/** The bounded stores `watchMemory` reports, and their label values. */
export type MemoryHolder =
  | 'documents'
  | 'answerMemo'
  | 'responseCache'
  | 'upstreamBuffers'
  | 'persistedDocuments'
const MEMORY_HOLDER_LABELS: Record<MemoryHolder, string> = {
  documents: 'documents',
  answerMemo: 'answer_memo',
  responseCache: 'response_cache',
  upstreamBuffers: 'upstream_buffers',
  persistedDocuments: 'persisted_documents',
}

const CIRCUIT_STATE_VALUES: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 }
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/

/**
 * The gateway's Prometheus metrics, in a registry of its own (so two gateways in one process,
 * as in tests, never share counters). Every label value is bounded: operation names and region
 * ids are capped sets, statuses are HTTP codes, outcomes are fixed words; no token, request id
 * or organization id is ever a label.
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  readonly #operationNames: BoundedLabel
  readonly #regions: BoundedLabel

  readonly #operations = new Counter({
    name: 'gateway_graphql_operations_total',
    help: 'GraphQL operations by operation name and outcome (success, partial, error, rejected).',
    labelNames: ['operation_name', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly #operationDuration = new Histogram({
    name: 'gateway_graphql_operation_duration_seconds',
    help: 'Time from receiving a GraphQL operation to its result, by operation name.',
    labelNames: ['operation_name'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  readonly #operationsInFlight = new Gauge({
    name: 'gateway_graphql_operations_in_flight',
    help: 'GraphQL operations being processed right now.',
    registers: [this.registry],
  })
  readonly #upstreamCalls = new Counter({
    name: 'gateway_upstream_requests_total',
    help: 'Calls to the Region Service by region, operation, HTTP status ("none" without an answer) and outcome.',
    labelNames: ['region', 'operation', 'status', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly #upstreamDuration = new Histogram({
    name: 'gateway_upstream_request_duration_seconds',
    help: 'Duration of calls to the Region Service, including reading the body, by region and operation (not of calls the client cancelled or an open circuit stopped).',
    labelNames: ['region', 'operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  readonly #upstreamInFlight = new Gauge({
    name: 'gateway_upstream_requests_in_flight',
    help: 'Calls to the Region Service waiting for their answer right now.',
    registers: [this.registry],
  })
  readonly #upstreamReused = new Counter({
    name: 'gateway_upstream_answers_reused_total',
    help: 'Answers of the Region Service byte-identical to one parsed before, whose parse was reused, by region and operation.',
    labelNames: ['region', 'operation'] as const,
    registers: [this.registry],
  })
  readonly #upstreamRetries = new Counter({
    name: 'gateway_upstream_retries_total',
    help: 'Calls to the Region Service sent again after a retryable failure, by region and operation.',
    labelNames: ['region', 'operation'] as const,
    registers: [this.registry],
  })
  readonly #circuitState = new Gauge({
    name: 'gateway_upstream_circuit_state',
    help: 'Circuit breaker state per region: 0 closed, 1 half-open, 2 open.',
    labelNames: ['region'] as const,
    registers: [this.registry],
  })

  constructor(options: MetricsOptions = {}) {
    this.#operationNames = new BoundedLabel(options.maxOperationNames ?? 100, OTHER_LABEL)
    this.#regions = new BoundedLabel(options.maxRegions ?? 500, OTHER_LABEL)
    new Gauge({
      name: 'gateway_build_info',
      help: 'Always 1; the labels say which build runs.',
      labelNames: ['version'] as const,
      registers: [this.registry],
    }).set({ version: options.version ?? 'unknown' }, 1)
    collectDefaultMetrics({ register: this.registry })
  }

  /**
   * Reports what each bounded store holds, read when metrics are scraped: estimated bytes in
   * `gateway_memory_bytes` and the configured bound in `gateway_memory_limit_bytes`.
   */
  watchMemory(read: () => Readonly<Record<MemoryHolder, { bytes: number; maxBytes: number }>>): void {
    const holders = () => Object.entries(read()) as [MemoryHolder, { bytes: number; maxBytes: number }][]
    new Gauge({
      name: 'gateway_memory_bytes',
      help: 'Estimated bytes held by each bounded store: parsed documents, kept upstream answers, the response cache, upstream answers being read, persisted documents.',
      labelNames: ['holder'] as const,
      registers: [this.registry],
      collect() {
        for (const [holder, { bytes }] of holders()) this.set({ holder: MEMORY_HOLDER_LABELS[holder] }, bytes)
      },
    })
    new Gauge({
      name: 'gateway_memory_limit_bytes',
      help: 'The configured bound of each store in gateway_memory_bytes (0: the store is off).',
      labelNames: ['holder'] as const,
      registers: [this.registry],
      collect() {
        for (const [holder, { maxBytes }] of holders()) {
          this.set({ holder: MEMORY_HOLDER_LABELS[holder] }, maxBytes)
        }
      },
    })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  exposition(): Promise<string> {
    return this.registry.metrics()
  }

  /**
   * The label value for an operation name. Only names of operations that parsed and validated
   * may come here; they are admitted first come, up to the cap, and stay admitted.
   */
  operationLabel(name: string | null | undefined): string {
    if (name === null || name === undefined || name === '') return ANONYMOUS_OPERATION
    if (!OPERATION_NAME.test(name)) return OTHER_LABEL
    return this.#operationNames.admit(name)
  }

  operationStarted(): void {
    this.#operationsInFlight.inc()
  }

  operationFinished(observation: OperationObservation): void {
    this.#operationsInFlight.dec()
    this.#operations.inc({ operation_name: observation.operationName, outcome: observation.outcome })
    this.#operationDuration.observe(
      { operation_name: observation.operationName },
      observation.durationSeconds,
    )
  }

  /**
   * The label value for a region id. Region ids come from callers, so a caller could invent
   * any number of them: an id becomes a label only once the Region Service has vouched for it
   * by answering a call for it with a 2xx or a 5xx (unknown or invisible regions answer 404,
   * a bad token 401), and then stays one, up to the cap. Until then its calls count under
   * "unverified".
   */
  regionLabel(regionId: string | undefined, answeredStatus?: number): string {
    if (regionId === undefined) return NO_REGION
    if (this.#regions.has(regionId)) return regionId
    const vouched =
      answeredStatus !== undefined &&
      ((answeredStatus >= 200 && answeredStatus < 300) || answeredStatus >= 500)
    return vouched ? this.#regions.admit(regionId) : UNVERIFIED_REGION
  }

  /** Records the Region Service calls of every request; plug into the upstream client. */
  readonly upstreamObserver: UpstreamObserver = {
    callStarted: (call: UpstreamCallStart): UpstreamCallScope => {
      this.#upstreamInFlight.inc()
      return {
        retrying: () => {
          this.#upstreamRetries.inc({ region: this.regionLabel(call.regionId), operation: call.operation })
        },
        finished: (result: UpstreamCallResult) => {
          this.#upstreamInFlight.dec()
          const region = this.regionLabel(result.regionId, result.status)
          const code = callOutcomeCode(result)
          this.#upstreamCalls.inc({
            region,
            operation: result.operation,
            status: result.status === undefined ? 'none' : String(result.status),
            outcome: code === undefined ? 'ok' : code.toLowerCase(),
          })
          // A call cut short because the client went away says nothing of how fast the upstream
          // answers, and one its region's open circuit never sent took no time of the upstream's.
          if (code !== CANCELLED_CODE && code !== CIRCUIT_OPEN_CODE) {
            this.#upstreamDuration.observe({ region, operation: result.operation }, result.durationMs / 1000)
          }
          if (result.reused) this.#upstreamReused.inc({ region, operation: result.operation })
        },
      }
    },
    circuitStateChanged: (regionId: string, state: CircuitState) => {
      // A breaker only trips on failures, so its region may not be vouched for yet; one shared
      // "unverified" gauge would mix regions, so such a region is left out until it is known.
      const region = this.regionLabel(regionId)
      if (region === UNVERIFIED_REGION || region === OTHER_LABEL) return
      this.#circuitState.set({ region }, CIRCUIT_STATE_VALUES[state])
    },
  }
}
