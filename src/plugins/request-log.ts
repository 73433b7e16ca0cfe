import { AsyncLocalStorage } from 'node:async_hooks'
import type { Plugin } from 'graphql-yoga'
import { requestState } from '../context.js'
import type { Logger } from '../logger.js'
import { clientWentAway, executedOperation, executionRequest } from '../observability/operation.js'

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics'])
const servedRequest = new AsyncLocalStorage<Logger>()

/**
 * The logger of the request being served in this async context (it carries the request id),
 * for code that logs without a context at hand, such as yoga's own log calls; undefined
 * outside a request.
 */
export function servedRequestLogger(): Logger | undefined {
  return servedRequest.getStore()
}

/**
 * One log line per GraphQL request (operation, status, duration, upstream calls) and the
 * request id echoed on every response.
 */
export function useRequestLog(logger: Logger): Plugin {
  return {
    instrumentation: {
      request: ({ request }, wrapped) => servedRequest.run(requestState(request, logger).log, wrapped),
    },
    onRequest({ request }) {
      requestState(request, logger)
    },
    onExecute({ args }) {
      const request = executionRequest(args.contextValue)
      if (!request) return
      // Only a name the document defines: a caller-chosen operationName could be anything.
      requestState(request, logger).operationName = executedOperation(args.document, args.operationName).name
    },
    onResponse({ request, response }) {
      const state = requestState(request, logger)
      response.headers.set('x-request-id', state.requestId)
      const path = new URL(request.url).pathname
      if (QUIET_PATHS.has(path) || request.method === 'OPTIONS') return
      state.log.info(
        {
          method: request.method,
          path,
          operationName: state.operationName ?? null,
          status: response.status,
          durationMs: Math.round((performance.now() - state.startedAt) * 10) / 10,
          upstreamCalls: state.upstreamCalls,
          upstreamFailures: state.upstreamFailures,
          // The status is what the gateway had ready; nobody was there to receive it.
          ...(clientWentAway(request) ? { clientWentAway: true } : {}),
        },
        'request',
      )
    },
  }
}
