import type { Plugin } from 'graphql-yoga'
import { type GatewayMetrics, type OperationOutcome, OTHER_LABEL } from '../observability/metrics.js'
import {
  clientWentAway,
  executedOperation,
  executionRequest,
  operationOutcome,
} from '../observability/operation.js'

interface OperationRecord {
  operationName: string
  executed: boolean
  outcome: OperationOutcome | undefined
}

/**
 * Serves the Prometheus exposition at `endpoint` and counts every GraphQL operation: in flight,
 * by (bounded) operation name and outcome, and its duration.
 */
export function useMetrics(metrics: GatewayMetrics, endpoint: string): Plugin {
  const operations = new WeakMap<Request, OperationRecord>()
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== endpoint) return
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }))
        return
      }
      const body = await metrics.exposition()
      endResponse(
        new Response(request.method === 'HEAD' ? null : body, {
          status: 200,
          headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
        }),
      )
    },
    instrumentation: {
      async operation({ request }, wrapped) {
        // Names are only trusted once the document validated (onExecute); until then "other".
        const record: OperationRecord = { operationName: OTHER_LABEL, executed: false, outcome: undefined }
        operations.set(request, record)
        const started = performance.now()
        metrics.operationStarted()
        try {
          await wrapped()
        } finally {
          metrics.operationFinished({
            operationName: record.operationName,
            outcome: clientWentAway(request)
              ? 'cancelled'
              : (record.outcome ?? (record.executed ? 'error' : 'rejected')),
            durationSeconds: (performance.now() - started) / 1000,
          })
        }
      },
    },
    onExecute({ args }) {
      const request = executionRequest(args.contextValue)
      const record = request && operations.get(request)
      if (!record) return
      record.executed = true
      record.operationName = metrics.operationLabel(executedOperation(args.document, args.operationName).name)
    },
    onExecutionResult({ request, result }) {
      const record = operations.get(request)
      if (record) record.outcome = operationOutcome(result, record.executed)
    },
  }
}
