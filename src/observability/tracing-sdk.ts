import { DiagLogLevel, diag } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import type { TracingConfig } from '../config.js'
import type { Logger } from '../logger.js'
import { type GatewayTracing, TRACER_NAME } from './tracing.js'

export interface StartTracingOptions {
  readonly config: TracingConfig
  readonly serviceVersion: string
  /** Where exporter problems are reported. */
  readonly logger?: Logger | undefined
  /** Replaces the exporter's batch processor; tests pass an in-memory one. */
  readonly spanProcessor?: SpanProcessor | undefined
}

/**
 * Starts the OpenTelemetry SDK: a Node tracer provider with the configured sampler and
 * exporter, registered globally with the AsyncLocalStorage context manager (so spans started
 * while serving a request find their parent) and the W3C trace-context propagator. Only
 * called when tracing is configured; otherwise no SDK runs at all.
 */
export function startTracing(options: StartTracingOptions): GatewayTracing {
  const { config } = options
  if (options.logger) diag.setLogger(diagLogger(options.logger), DiagLogLevel.WARN)
  const propagator = new W3CTraceContextPropagator()
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
    }),
    sampler: samplerFor(config),
    spanProcessors: [options.spanProcessor ?? new BatchSpanProcessor(exporterFor(config))],
  })
  provider.register({ propagator })
  return {
    tracer: provider.getTracer(TRACER_NAME, options.serviceVersion),
    propagator,
    shutdown: () => provider.shutdown(),
  }
}

function exporterFor(config: TracingConfig) {
  if (config.exporter === 'console') return new ConsoleSpanExporter()
  const settings = { url: config.endpoint, headers: { ...config.headers } }
  return config.protocol === 'http/json' ? new OtlpJsonExporter(settings) : new OtlpProtobufExporter(settings)
}

function samplerFor(config: TracingConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio)
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return ratio
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio })
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
  }
}

function diagLogger(logger: Logger) {
  const log = logger.child({ component: 'opentelemetry' })
  return {
    error: (message: string, ...args: unknown[]) => log.error({ args }, message),
    warn: (message: string, ...args: unknown[]) => log.warn({ args }, message),
    info: (message: string, ...args: unknown[]) => log.info({ args }, message),
    debug: (message: string, ...args: unknown[]) => log.debug({ args }, message),
    verbose: (message: string, ...args: unknown[]) => log.trace({ args }, message),
  }
}
