import { context, trace } from '@opentelemetry/api'

/**
 * Log fields that tie a log line to its trace: the active span's ids, when there is one (never
 * when tracing is off). Named as OpenTelemetry's log conventions name them, so they do not
 * clash with the upstream's own `traceId` in upstream failure lines.
 */
export function traceLogFields(): Record<string, string> {
  const spanContext = trace.getSpanContext(context.active())
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {}
}
