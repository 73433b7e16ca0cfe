/**
 * Heap one byte of an upstream JSON answer takes once parsed, with what the gateway derives from
 * it (image models, the index by id, filtered selections). Caches that keep answers are bounded
 * by this estimate; bench/results/2026-12-04-memory-estimates.md has what it is rounded up from.
 */
export const HEAP_BYTES_PER_ANSWER_BYTE = 1.5

/** Estimated heap of an answer parsed from `bodyBytes` bytes of JSON, with its derived data. */
export function answerHeapBytes(bodyBytes: number): number {
  return Math.ceil(bodyBytes * HEAP_BYTES_PER_ANSWER_BYTE)
}
