import { GraphQLError } from 'graphql'
import type { ErrorCode } from './generated/graphql.js'
import type { UpstreamError, UpstreamErrorKind } from './upstream/upstream-error.js'

export type { ErrorCode }

/** Codes that describe the caller, not the region: if every region fails with one, the field fails. */
export const CALLER_LEVEL_CODES: ReadonlySet<ErrorCode> = new Set(['UNAUTHENTICATED', 'FORBIDDEN'])

export interface GatewayErrorDetails {
  /** HTTP status the Region Service answered with. */
  readonly status?: number | undefined
  /** The Region Service's trace id, for its operators. */
  readonly traceId?: string | undefined
  /** Region the failure belongs to. */
  readonly regionId?: string | undefined
}

/**
 * The only error the gateway throws on purpose. It is a GraphQLError, so yoga shows it to the
 * client unmasked with `extensions.code`; anything else stays masked as an internal error.
 * Messages never carry a token, an upstream URL or an upstream body.
 */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode
  readonly status: number | undefined
  readonly traceId: string | undefined
  readonly regionId: string | undefined

  constructor(code: ErrorCode, message: string, details: GatewayErrorDetails = {}) {
    const extensions: Record<string, unknown> = { code }
    if (details.status !== undefined) extensions.status = details.status
    if (details.traceId !== undefined) extensions.traceId = details.traceId
    if (details.regionId !== undefined) extensions.regionId = details.regionId
    super(message, { extensions })
    this.name = 'GatewayError'
    this.code = code
    this.status = details.status
    this.traceId = details.traceId
    this.regionId = details.regionId
  }
}

export function badUserInput(message: string, argument?: string): GatewayError {
  const error = new GatewayError('BAD_USER_INPUT', message)
  if (argument !== undefined) error.extensions.argument = argument
  return error
}

export function unauthenticated(
  message = 'A bearer token is required: send "Authorization: Bearer <token>".',
) {
  return new GatewayError('UNAUTHENTICATED', message)
}

/** Maps an upstream HTTP failure status to the catalogue. */
export function codeForUpstreamStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED'
  if (status === 403) return 'FORBIDDEN'
  if (status === 404) return 'NOT_FOUND'
  return 'UPSTREAM_ERROR'
}

/** The catalogue's code for how an upstream call failed. */
export function upstreamErrorCode(kind: UpstreamErrorKind, status: number | undefined): ErrorCode {
  switch (kind) {
    case 'status':
      return codeForUpstreamStatus(status ?? 500)
    case 'timeout':
    case 'deadline':
      return 'UPSTREAM_TIMEOUT'
    case 'invalid-answer':
      return 'UPSTREAM_INVALID_RESPONSE'
    case 'overloaded':
      return 'GATEWAY_OVERLOADED'
    case 'bad-argument':
      return 'BAD_USER_INPUT'
    default:
      // unreachable, cancelled (nobody sees it), circuit-open
      return 'UPSTREAM_UNAVAILABLE'
  }
}

/** The loader boundary's mapping: an upstream failure as the error a caller sees. */
export function fromUpstreamError(error: UpstreamError): GatewayError {
  return new GatewayError(upstreamErrorCode(error.kind, error.status), error.message, {
    status: error.status,
    traceId: error.traceId,
    regionId: error.regionId,
  })
}

/** Turns anything a region lookup rejected with into a GatewayError; unknown errors get a safe generic one. */
export function asGatewayError(error: unknown, regionId?: string): GatewayError {
  if (error instanceof GatewayError) return error
  return new GatewayError('UPSTREAM_ERROR', 'The region could not be read.', { regionId })
}

/**
 * True for errors the gateway raised on purpose (anywhere in the originalError chain); those
 * reach the client as they are, everything else is masked. Checked by class, not by graphql's
 * own GraphQLError identity, so it holds whichever build of graphql a bundler or test runner loads.
 */
export function isDeliberateError(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof GatewayError) return true
    const next: unknown = (current as { originalError?: unknown }).originalError
    if (next === undefined || next === null) {
      // graphql's own request errors (syntax, validation, coercion) carry no originalError.
      return (
        current.name === 'GraphQLError' &&
        !(current as { extensions?: { unexpected?: boolean } }).extensions?.unexpected
      )
    }
    current = next
  }
  return false
}

/** Which query limit an operation broke, as `extensions.limit` says. */
export type QueryLimit = 'depth' | 'aliases' | 'directives' | 'cost' | 'upstreamCalls'

/** An operation over one of the gateway's query limits: rejected before any upstream call. */
export function queryLimitExceeded(limit: QueryLimit, message: string): GatewayError {
  const error = new GatewayError('BAD_USER_INPUT', message)
  error.extensions.limit = limit
  return error
}
