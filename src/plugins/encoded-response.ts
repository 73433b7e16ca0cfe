import { Response as FetchResponse } from '@whatwg-node/fetch'

// Any UTF-16 code unit above U+007F (the body is ASCII when none is found).
const NON_ASCII = /[\u0080-\uffff]/

/**
 * yoga's Response with string bodies turned into bytes once, here: an ASCII body (almost every
 * image list) is copied byte for byte instead of UTF-8 encoded, and the server adapter writes
 * the bytes without measuring and encoding the string again.
 */
type Body = ConstructorParameters<typeof FetchResponse>[0]

export class EncodedResponse extends FetchResponse {
  constructor(body?: Body, init?: ConstructorParameters<typeof FetchResponse>[1]) {
    super(typeof body === 'string' ? (encodeBody(body) as Body) : body, init)
  }
}

export function encodeBody(text: string): Uint8Array {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1')
}
