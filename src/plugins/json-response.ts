import type { ExecutionResult } from 'graphql'
import { isAsyncIterable, type Plugin, processRegularResult } from 'graphql-yoga'
import { askedMediaTypes, covers, REGULAR_MEDIA_TYPES, rememberedByAccept } from './accept.js'

/**
 * JSON bodies written as bytes in pieces, never as one string.
 *
 * Why: a list of a few hundred images is a JSON body of 100+ kB. `JSON.stringify` returns it
 * as a rope of small pieces; turning that into bytes first flattens it into one string, and a
 * string over V8's regular object limit goes to the large-object space: fresh pages on every
 * response, which on a VM (where first touches of memory are expensive) cost more than
 * serialising it (docs/decisions.md). Here the body is serialised
 * element by element of its lists into pieces of at most ~96 kB of text, and the pieces are
 * written into one buffer of the body's exact size: no piece is flattened with another and no
 * bytes are copied twice (each buffer is memory the allocator must find, and hand back only
 * when the garbage collector frees it).
 */
const CHUNK_CHARS = 32 * 1024
/** A list element larger than this is walked instead of serialised whole (a region with hundreds of images). */
const ELEMENT_CHARS = 64 * 1024

class ChunkedBytes {
  readonly #pieces: string[] = []
  /** Per piece: whether it is ASCII (one byte per character, written as latin1). */
  readonly #ascii: boolean[] = []
  #byteLength = 0
  #pending = ''

  push(text: string): void {
    this.#pending += text
    if (this.#pending.length >= CHUNK_CHARS) this.#flush()
  }

  bytes(): Buffer {
    this.#flush()
    const bytes = Buffer.allocUnsafeSlow(this.#byteLength)
    let offset = 0
    for (let index = 0; index < this.#pieces.length; index++) {
      const piece = this.#pieces[index] as string
      offset += bytes.write(piece, offset, this.#ascii[index] ? 'latin1' : 'utf8')
    }
    // The buffer is not zeroed: every byte of it must be the body's.
    if (offset !== bytes.length) throw new Error(`JSON body of ${bytes.length} bytes written as ${offset}`)
    return bytes
  }

  #flush(): void {
    const text = this.#pending
    if (text === '') return
    this.#pending = ''
    // ASCII (nearly every body) is copied byte for byte; anything else is UTF-8 encoded.
    const byteLength = Buffer.byteLength(text, 'utf8')
    this.#pieces.push(text)
    this.#ascii.push(byteLength === text.length)
    this.#byteLength += byteLength
  }
}

/** Objects JSON.stringify serialises by their own keys (not Dates, not objects with toJSON). */
function isWalkable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value)
  return (
    (prototype === Object.prototype || prototype === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  )
}

function writeValue(value: unknown, out: ChunkedBytes): void {
  if (Array.isArray(value)) {
    out.push('[')
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out.push(',')
      const element: unknown = value[index]
      const text = JSON.stringify(element) as string | undefined
      // JSON.stringify writes null for undefined, functions and symbols inside arrays.
      if (text === undefined) out.push('null')
      else if (text.length > ELEMENT_CHARS && (Array.isArray(element) || isWalkable(element))) {
        writeValue(element, out)
      } else out.push(text)
    }
    out.push(']')
    return
  }
  if (isWalkable(value)) {
    out.push('{')
    let first = true
    for (const key of Object.keys(value)) {
      const property = value[key]
      // JSON.stringify leaves these properties out of objects.
      if (property === undefined || typeof property === 'function' || typeof property === 'symbol') continue
      out.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`)
      first = false
      writeValue(property, out)
    }
    out.push('}')
    return
  }
  out.push((JSON.stringify(value) as string | undefined) ?? 'null')
}

/** The UTF-8 bytes of `JSON.stringify(value)` (for any JSON-serialisable tree), built in chunks. */
export function encodeJson(value: unknown): Buffer {
  const out = new ChunkedBytes()
  writeValue(value, out)
  return out.bytes()
}

/**
 * The media type yoga answers a single result with, for a request whose processor it chose to
 * be its regular JSON one: yoga's own rule (the last regular type matching the Accept header,
 * read in yoga's order).
 */
export const regularMediaType = rememberedByAccept((accept): string | undefined => {
  let chosen: string | undefined
  for (const asked of askedMediaTypes(accept)) {
    for (const candidate of REGULAR_MEDIA_TYPES) if (covers(asked, candidate)) chosen = candidate
  }
  return chosen
})

type FetchApi = Parameters<typeof processRegularResult>[1]

/**
 * yoga's regular JSON processing (status, headers, errors without internals), with the body
 * encoded by `encodeJson` instead of one `JSON.stringify` string.
 */
function processChunkedResult(result: ExecutionResult, fetchAPI: FetchApi, mediaType: string): Response {
  let body: Buffer | undefined
  const response = processRegularResult(
    {
      ...result,
      // yoga hands its serialiser the result with internals removed; the body is built from that.
      stringify: (sanitized: ExecutionResult) => {
        body = encodeJson(sanitized)
        return ''
      },
    } as ExecutionResult,
    fetchAPI,
    mediaType,
  )
  if (body === undefined) return response
  // The length is the new body's, set by the Response from it.
  response.headers.delete('content-length')
  return new fetchAPI.Response(body as Uint8Array<ArrayBuffer>, {
    status: response.status,
    headers: response.headers,
  })
}

/**
 * Answers single (non-batched, non-streamed) results through `processChunkedResult`, with the
 * media type yoga's own processor choice would give. yoga picks its regular JSON processor for
 * such a result exactly when a regular type matches the Accept header (it is the last one it
 * tries), so that is when this applies; everything else is left to yoga.
 */
export function useChunkedJsonResponses(): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return
      const mediaType = regularMediaType(request.headers.get('accept'))
      if (mediaType === undefined) return
      setResultProcessor(
        (processed, fetchAPI) => processChunkedResult(processed as ExecutionResult, fetchAPI, mediaType),
        mediaType,
      )
    },
  }
}
