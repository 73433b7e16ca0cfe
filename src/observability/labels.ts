/**
 * A set of label values that grows first come, first kept, up to a cap; past the cap every new
 * value is reported as the overflow value. Keeps a metric's series count bounded whatever
 * callers send.
 */
export class BoundedLabel {
  readonly #values = new Set<string>()

  constructor(
    readonly capacity: number,
    readonly overflow: string,
  ) {}

  has(value: string): boolean {
    return this.#values.has(value)
  }

  admit(value: string): string {
    if (this.#values.has(value)) return value
    if (this.#values.size >= this.capacity) return this.overflow
    this.#values.add(value)
    return value
  }
}
