import type { Plugin } from 'graphql-yoga'

/** What yoga can answer a GraphQL request with: streamed (SSE, multipart) or one JSON result. */
export const REGULAR_MEDIA_TYPES = ['application/graphql-response+json', 'application/json'] as const
const SERVED_MEDIA_TYPES = ['text/event-stream', 'multipart/mixed', ...REGULAR_MEDIA_TYPES] as const

/**
 * The media types an Accept header asks for, read as yoga reads it: spaces dropped, lower case,
 * parameters other than the charset ignored, only UTF-8 charsets, last one first.
 */
export function askedMediaTypes(accept: string | null): string[] {
  return (accept || '*/*')
    .replace(/\s/g, '')
    .toLowerCase()
    .split(',')
    .flatMap((entry) => {
      const [mediaType, ...params] = entry.split(';')
      const charset = params.find((param) => param.includes('charset=')) ?? 'charset=utf-8'
      return mediaType !== undefined && charset === 'charset=utf-8' ? [mediaType] : []
    })
    .reverse()
}

/**
 * `read(accept)` remembered for the few Accept headers clients send, so that each request does
 * not parse its own again. Bounded: a handful of short values, the first ones seen.
 */
export function rememberedByAccept<T>(read: (accept: string | null) => T): (accept: string | null) => T {
  const known = new Map<string | null, T>()
  return (accept) => {
    const found = known.get(accept)
    if (found !== undefined || known.has(accept)) return found as T
    const value = read(accept)
    if (known.size < 32 && (accept?.length ?? 0) <= 256) known.set(accept, value)
    return value
  }
}

/** Whether an asked media type (wildcards allowed) covers a served one. */
export function covers(asked: string, served: string): boolean {
  const [askedType, askedSubtype] = asked.split('/')
  const [type, subtype] = served.split('/')
  return (askedType === '*' || askedType === type) && (askedSubtype === '*' || askedSubtype === subtype)
}

/**
 * Refuses a GraphQL request whose Accept header no answer of the gateway can satisfy with 406,
 * as yoga would, but before it is parsed or executed: no upstream call is made for an answer
 * the client would refuse. GraphiQL's page and CORS preflights are answered before this.
 */
export function useAcceptNegotiation(endpoint: string): Plugin {
  const acceptable = SERVED_MEDIA_TYPES.map((type) => `${type}; charset=utf-8`).join(', ')
  const servable = rememberedByAccept((accept) =>
    askedMediaTypes(accept).some((type) => SERVED_MEDIA_TYPES.some((served) => covers(type, served))),
  )
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint || request.method === 'OPTIONS') return
      if (servable(request.headers.get('accept'))) return
      endResponse(
        new fetchAPI.Response(null, {
          status: 406,
          statusText: 'Not Acceptable',
          headers: { accept: acceptable },
        }),
      )
    },
  }
}
