import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions'
import type { Plugin } from 'graphql-yoga'
import { requestState } from '../context.js'
import type { Logger } from '../logger.js'
import {
  errorCodes,
  executedOperation,
  executionRequest,
  operationOutcome,
} from '../observability/operation.js'
import {
  ATTR_GRAPHQL_OPERATION_NAME,
  ATTR_GRAPHQL_OPERATION_TYPE,
  ATTR_OPERATION_OUTCOME,
  ATTR_REQUEST_ID,
  extractParent,
  type GatewayTracing,
} from '../observability/tracing.js'

interface OperationSpan {
  readonly span: Span
  executed: boolean
}

/**
 * Traces GraphQL requests: a SERVER span per HTTP request to the GraphQL endpoint (continuing
 * the caller's W3C trace when it sent `traceparent`) and, inside it, a span per GraphQL
 * operation, which the upstream calls' spans hang under. Resolvers get no spans: a span per
 * scalar field costs throughput and tells nothing the operation span does not.
 */
export function useTracing(tracing: GatewayTracing, graphqlEndpoint: string, logger: Logger): Plugin {
  const { tracer } = tracing
  const requestSpans = new WeakMap<Request, Span>()
  const operationSpans = new WeakMap<Request, OperationSpan>()
  return {
    instrumentation: {
      request({ request }, wrapped) {
        if (new URL(request.url).pathname !== graphqlEndpoint) return wrapped()
        const parent = extractParent(tracing, request.headers)
        const span = tracer.startSpan(
          `${request.method} ${graphqlEndpoint}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              [ATTR_HTTP_REQUEST_METHOD]: request.method,
              [ATTR_URL_PATH]: graphqlEndpoint,
              [ATTR_HTTP_ROUTE]: graphqlEndpoint,
              [ATTR_REQUEST_ID]: requestState(request, logger).requestId,
            },
          },
          parent,
        )
        requestSpans.set(request, span)
        return context.with(trace.setSpan(parent, span), () => endWhenSettled(span, wrapped))
      },
      operation({ request }, wrapped) {
        const span = tracer.startSpan('GraphQL Operation', { kind: SpanKind.INTERNAL }, context.active())
        operationSpans.set(request, { span, executed: false })
        return context.with(trace.setSpan(context.active(), span), () => endWhenSettled(span, wrapped))
      },
    },
    onExecute({ args }) {
      const request = executionRequest(args.contextValue)
      const operation = request && operationSpans.get(request)
      if (!operation) return
      operation.executed = true
      const { name, type } = executedOperation(args.document, args.operationName)
      if (type) operation.span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type)
      if (name) operation.span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, name)
      if (type) operation.span.updateName(name ? `${type} ${name}` : type)
    },
    onExecutionResult({ request, result }) {
      const operation = operationSpans.get(request)
      if (!operation) return
      const outcome = operationOutcome(result, operation.executed)
      operation.span.setAttribute(ATTR_OPERATION_OUTCOME, outcome)
      const codes = errorCodes(result)
      if (codes.length > 0) operation.span.setAttribute('gateway.error.codes', codes)
      if (outcome === 'error' || outcome === 'rejected') {
        operation.span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(',') || outcome })
      }
    },
    onResponse({ request, response }) {
      const span = requestSpans.get(request)
      if (!span) return
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
    },
  }
}

async function endWhenSettled(span: Span, wrapped: () => unknown): Promise<void> {
  try {
    await wrapped()
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR })
    // The type only: messages of unexpected errors are not vetted for what they might carry.
    span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'unknown')
    throw error
  } finally {
    span.end()
  }
}
