import { errors as undiciErrors } from 'undici'

/** Errors of the gateway's own resources, not the region's: they count against nobody. */
const LOCAL_ERROR_CODES = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL'])

export function isLocalResourceError(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && LOCAL_ERROR_CODES.has(code)) return true
    current = current.cause
  }
  return false
}

export function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return (
    error.name === 'TimeoutError' ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    (error.name === 'AbortError' && error.cause instanceof Error && error.cause.name === 'TimeoutError')
  )
}

/** What the transport reported, for logs: error names and codes only (messages may carry URLs). */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return typeof error
  const code = (error as { code?: unknown }).code
  const inner = error.cause instanceof Error ? describeCause(error.cause) : undefined
  return [error.name, typeof code === 'string' ? code : undefined, inner && `caused by ${inner}`]
    .filter(Boolean)
    .join(' ')
}
