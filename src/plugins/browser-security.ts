import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention'
import type { Plugin } from 'graphql-yoga'
import type { CorsOrigins } from '../config.js'

/**
 * The header a browser client must send on requests a page could otherwise make without a
 * CORS preflight (GET, or POST with a form or text/plain body). application/json POSTs, which
 * every GraphQL client and GraphiQL send, always get a preflight and need no extra header.
 */
export const CSRF_HEADER = 'x-graphql-yoga-csrf'

export function useBrowserCsrfPrevention(): Plugin {
  return useCSRFPrevention({ requestHeaders: [CSRF_HEADER] })
}

/** CORS headers for one request's origin, or false for none (yoga's CORS options shape). */
export type CorsDecision =
  | false
  | {
      readonly origin: string[]
      readonly methods: string[]
      readonly allowedHeaders: string[]
      readonly exposedHeaders: string[]
      readonly credentials: boolean
      readonly maxAge: number
    }

/**
 * CORS for the configured origins only. An origin that is not listed gets no CORS headers at
 * all, so the browser refuses to show it the answer. Credentials (cookies) are never allowed:
 * the gateway authenticates by bearer token, which a page must set explicitly.
 */
export function corsOptions(origins: CorsOrigins): false | ((request: Request) => CorsDecision) {
  if (origins !== '*' && origins.length === 0) return false
  const allowed = origins === '*' ? undefined : new Set(origins)
  return (request) => {
    const origin = request.headers.get('origin')
    if (!origin || (allowed && !allowed.has(origin))) return false
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', CSRF_HEADER],
      exposedHeaders: ['x-request-id'],
      credentials: false,
      maxAge: 600,
    }
  }
}

/** Answers differ by Origin when CORS is on: tell caches so. */
export function useVaryOnOrigin(): Plugin {
  return {
    onResponse({ response }) {
      const vary = response.headers.get('vary')
      const varied = (vary ?? '').toLowerCase().split(/\s*,\s*/)
      if (!varied.includes('origin')) response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin')
    },
  }
}
