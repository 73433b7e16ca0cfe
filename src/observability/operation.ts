import { type DocumentNode, getOperationAST, type OperationTypeNode } from 'graphql'
import type { OperationOutcome } from './metrics.js'

/** The operation a validated document runs, as execution sees it. */
export interface ExecutedOperation {
  readonly name: string | undefined
  readonly type: OperationTypeNode | undefined
}

/** The HTTP request an execution belongs to (yoga puts it on the context). */
export function executionRequest(contextValue: unknown): Request | undefined {
  return (contextValue as { request?: Request } | undefined)?.request
}

export function executedOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): ExecutedOperation {
  const operation = getOperationAST(document, operationName)
  return { name: operation?.name?.value, type: operation?.operation }
}

interface ResultShape {
  readonly data?: Record<string, unknown> | null
  readonly errors?: readonly unknown[]
}

/**
 * How an operation ended, from its result: no errors is a success; errors with some data
 * is partial; errors without data is an error, or a rejection when it never executed.
 */
export function operationOutcome(result: unknown, executed: boolean): OperationOutcome {
  if (!executed) return 'rejected'
  if (result === null || typeof result !== 'object' || Symbol.asyncIterator in result) return 'success'
  const { data, errors } = result as ResultShape
  if (!errors || errors.length === 0) return 'success'
  const someData = data !== null && data !== undefined && Object.values(data).some((value) => value !== null)
  return someData ? 'partial' : 'error'
}

/** The distinct `extensions.code` values of a result's errors (a bounded catalogue). */
export function errorCodes(result: unknown): string[] {
  if (result === null || typeof result !== 'object') return []
  const errors = (result as ResultShape).errors ?? []
  const codes = new Set<string>()
  for (const error of errors) {
    const code = (error as { extensions?: { code?: unknown } }).extensions?.code
    codes.add(typeof code === 'string' ? code : 'UNKNOWN')
  }
  return [...codes].sort()
}

/** The request's signal aborts when the client closed the connection before the response. */
export function clientWentAway(request: Request): boolean {
  return (request.signal as AbortSignal | undefined)?.aborted === true
}
