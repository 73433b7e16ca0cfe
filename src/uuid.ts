const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether `value` is a UUID: every id of the Region Service is one. */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}
