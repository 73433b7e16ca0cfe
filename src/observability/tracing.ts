import {
  type Context,
  context,
  defaultTextMapSetter,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions'
import type { UpstreamCallScope, UpstreamCallStart, UpstreamObserver } from '../upstream/observer.js'
import { callOutcomeCode } from './call-outcome.js'

// What the gateway traces, on the OpenTelemetry API alone; the SDK that records and exports
// spans lives in tracing-sdk.ts and is only loaded when tracing is configured.

/** Incubating semantic-convention names, copied as OpenTelemetry advises instead of imported. */
export const ATTR_URL_TEMPLATE = 'url.template'
export const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name'
export const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type'
/** The gateway's own attributes. */
export const ATTR_REGION_ID = 'gateway.region.id'
export const ATTR_UPSTREAM_OPERATION = 'gateway.upstream.operation'
export const ATTR_UPSTREAM_TRACE_ID = 'gateway.upstream.trace_id'
export const ATTR_REQUEST_ID = 'gateway.request.id'
export const ATTR_OPERATION_OUTCOME = 'gateway.operation.outcome'

export const TRACER_NAME = 'images-gateway'

/** What the gateway needs to trace: a tracer and the W3C propagator. */
export interface GatewayTracing {
  readonly tracer: Tracer
  readonly propagator: TextMapPropagator
  /** Flushes buffered spans and stops the SDK. */
  shutdown(): Promise<void>
}

/** The parent context a caller sent in W3C `traceparent`/`tracestate` headers, if any. */
export function extractParent(tracing: GatewayTracing, headers: Headers): Context {
  return tracing.propagator.extract(context.active(), headers, {
    get: (carrier, key) => carrier.get(key) ?? undefined,
    keys: (carrier) => [...carrier.keys()],
  })
}

/**
 * One CLIENT span per call to the Region Service, child of whatever span is active when the
 * call starts (the GraphQL operation's), and its W3C `traceparent` sent upstream so the
 * Region Service's own traces join the caller's. No header values or tokens go on spans.
 */
export function tracingUpstreamObserver(tracing: GatewayTracing, upstreamBaseUrl: string): UpstreamObserver {
  const upstream = new URL(upstreamBaseUrl)
  const port = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80))
  return {
    callStarted(call: UpstreamCallStart): UpstreamCallScope {
      const parent = context.active()
      const span = tracing.tracer.startSpan(
        `${call.method} ${call.pathTemplate}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: call.method,
            [ATTR_URL_TEMPLATE]: call.pathTemplate,
            [ATTR_SERVER_ADDRESS]: upstream.hostname,
            [ATTR_SERVER_PORT]: port,
            [ATTR_UPSTREAM_OPERATION]: call.operation,
            ...(call.regionId === undefined ? {} : { [ATTR_REGION_ID]: call.regionId }),
          },
        },
        parent,
      )
      const headers: Record<string, string> = {}
      tracing.propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter)
      let resends = 0
      return {
        headers,
        retrying(attempt, reason) {
          resends = Math.max(resends, attempt - 1)
          span.addEvent('retry', { attempt, reason })
        },
        finished(result) {
          if (result.status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status)
          if (resends > 0) span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, resends)
          if (result.upstreamTraceId) span.setAttribute(ATTR_UPSTREAM_TRACE_ID, result.upstreamTraceId)
          const code = callOutcomeCode(result)
          if (code !== undefined) {
            span.setAttribute(ATTR_ERROR_TYPE, code)
            span.setStatus({ code: SpanStatusCode.ERROR, message: code })
          }
          span.end()
        },
      }
    },
  }
}
