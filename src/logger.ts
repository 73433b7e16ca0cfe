import { type DestinationStream, type Logger, pino } from 'pino'
import { traceLogFields } from './observability/log-correlation.js'

export type { Logger }

export interface LoggerOptions {
  readonly level: string
  /** Pretty-print for people (pino-pretty, a dev dependency); JSON lines otherwise. */
  readonly pretty?: boolean
  /** Where lines go; stdout when omitted. Tests pass a capturing stream. */
  readonly destination?: DestinationStream
}

/**
 * Paths that could hold a credential if someone ever logs a request or header object. The
 * gateway never logs headers on purpose; this is the safety net.
 */
const REDACTED_PATHS = [
  'authorization',
  'token',
  '*.authorization',
  '*.Authorization',
  '*.token',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
]

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { service: 'images-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Lines written while a span is active carry its trace and span id (nothing when tracing is off).
    mixin: traceLogFields,
  }
  if (options.destination) return pino(base, options.destination)
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } })
  }
  return pino(base)
}
