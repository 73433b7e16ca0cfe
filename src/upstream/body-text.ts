import { isAscii } from 'node:buffer'

/**
 * Multi-chunk bodies up to this size are joined in one reused buffer rather than a fresh one
 * per answer. Larger bodies (rare: the upstream's answers run to a few MB) are joined in a
 * buffer of their own, so the scratch never pins more than this.
 */
export const SCRATCH_MAX_BYTES = 8 * 1024 * 1024

let scratch: Buffer | undefined

/**
 * The text of a body read in chunks, decoded as UTF-8.
 *
 * Large answers dominate the cost of reading: on a VM every freshly mapped page costs a fault,
 * and both `Buffer.concat` and a UTF-8 decode of a multi-MB body map fresh memory each time,
 * each costing more than `JSON.parse` itself. So
 * the chunks are joined in one scratch buffer that stays mapped, and a body that is pure ASCII
 * (as JSON with escaped non-ASCII is, and most upstream answers are) is decoded as ASCII, which
 * is the same text as UTF-8 for those bytes and much cheaper for Node to build. Anything else
 * takes the plain UTF-8 path. Synchronous: the scratch is free again when this returns.
 */
export function bodyText(chunks: readonly Buffer[]): string {
  const bytes = joined(chunks)
  return isAscii(bytes) ? bytes.toString('ascii') : bytes.toString('utf8')
}

function joined(chunks: readonly Buffer[]): Buffer {
  if (chunks.length === 1) return chunks[0] as Buffer
  // Counted here rather than taken from the caller: a wrong size would hand out bytes of an
  // earlier answer still in the scratch.
  let size = 0
  for (const chunk of chunks) size += chunk.length
  if (size > SCRATCH_MAX_BYTES) return Buffer.concat(chunks, size)
  if (scratch === undefined || scratch.length < size) {
    // Grown in whole MiB so a few slightly larger answers do not each reallocate it.
    scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX_BYTES, Math.ceil(size / 2 ** 20) * 2 ** 20))
  }
  let offset = 0
  for (const chunk of chunks) offset += chunk.copy(scratch, offset)
  return scratch.subarray(0, size)
}
