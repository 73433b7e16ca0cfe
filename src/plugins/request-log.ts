import { AsyncLocalStorage } from 'node:async_hooks'
import type { Plugin, YogaLogger } from 'graphql-yoga'
import { requestState } from '../context.js'
import type { Logger } from '../logger.js'
import { clientWentAway, executedOperation, executionRequest } from '../observability/operation.js'

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics'])
const servedRequest = new AsyncLocalStorage<Logger>()
// The request an execution error belongs to, for yoga's line about it when it is masked.
const requestOfError = new WeakMap<object, Logger>()

/**
 * The logger yoga's own lines go to: inside a request, that request's (it carries the request
 * id), like every other line of it.
 *
 * Which request is known two ways. yoga logs an error it masks with the error at hand, and the
 * execution that produced it noted its request (useRequestLog). yoga's debug lines carry nothing,
 * so at debug level each request runs in an AsyncLocalStorage. Only then: on Node 20 and 22 that
 * storage hooks every promise the process makes, which costs memory under load, for lines that
 * are not written below debug.
 */
export function yogaLogging(logger: Logger): YogaLogger {
  const root = logger.child({ component: 'yoga' })
  const lineLogger = (about?: unknown) => {
    const request =
      servedRequest.getStore() ??
      (typeof about === 'object' && about !== null ? requestOfError.get(about) : undefined)
    return request ? request.child({ component: 'yoga' }) : root
  }
  return {
    // yoga calls these whatever the level: check it before making a child logger.
    debug: (...args) => root.isLevelEnabled('debug') && lineLogger().debug({ args }, 'yoga'),
    info: (...args) => root.isLevelEnabled('info') && lineLogger().info({ args }, 'yoga'),
    warn: (...args) => lineLogger().warn({ args }, 'yoga'),
    error: (...args) => {
      const error = args.find((arg) => arg instanceof Error)
      lineLogger(error).error({ err: error }, 'yoga error')
    },
  }
}

/**
 * One log line per GraphQL request (operation, status, duration, upstream calls) and the
 * request id echoed on every response.
 */
export function useRequestLog(logger: Logger): Plugin {
  return {
    ...(logger.isLevelEnabled('debug')
      ? {
          instrumentation: {
            request: ({ request }, wrapped) => servedRequest.run(requestState(request, logger).log, wrapped),
          },
        }
      : {}),
    onRequest({ request }) {
      requestState(request, logger)
    },
    onExecute({ args }) {
      const request = executionRequest(args.contextValue)
      if (!request) return
      const state = requestState(request, logger)
      // Only a name the document defines: a caller-chosen operationName could be anything.
      state.operationName = executedOperation(args.document, args.operationName).name
      return {
        // Before yoga's masking (its plugin runs after these): the errors are still the ones
        // it will log.
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result) return
          for (const error of result.errors ?? []) requestOfError.set(error, state.log)
        },
      }
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
