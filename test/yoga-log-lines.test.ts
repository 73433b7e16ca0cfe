import { createSchema, createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'
import { useRequestLog, yogaLogging } from '../src/plugins/request-log.js'
import { LogCapture } from './helpers/harness.js'

/** A yoga with the gateway's request log and yoga logging, and one field that fails unexpectedly. */
function failingYoga(level: 'info' | 'debug') {
  const logs = new LogCapture()
  const logger = createLogger({ level, destination: logs })
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { broken: String, fine: String }',
      resolvers: {
        Query: {
          broken: () => {
            throw new TypeError('a bug, not a deliberate error')
          },
          fine: () => 'ok',
        },
      },
    }),
    logging: yogaLogging(logger),
    plugins: [useRequestLog(logger)],
  })
  const ask = async (query: string, requestId: string) => {
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query }),
    })
    return (await response.json()) as { errors?: { message: string }[] }
  }
  return { logs, ask }
}

describe("yoga's own log lines", () => {
  it.each(['info', 'debug'] as const)(
    'carry the request id of the error they report, at %s level',
    async (level) => {
      const { logs, ask } = failingYoga(level)
      const [first, second] = await Promise.all([ask('{ broken }', 'req-one'), ask('{ broken }', 'req-two')])
      expect(first.errors?.[0]?.message).toBe('Unexpected error.')
      expect(second.errors?.[0]?.message).toBe('Unexpected error.')
      const reports = logs.records.filter((line) => line.msg === 'yoga error')
      expect(reports.map((line) => line.requestId).sort()).toEqual(['req-one', 'req-two'])
      for (const line of reports) {
        expect(line.component).toBe('yoga')
        expect((line.err as { message: string }).message).toBe('a bug, not a deliberate error')
      }
    },
  )

  it('at debug level, every line written while serving a request carries its id', async () => {
    const { logs, ask } = failingYoga('debug')
    await ask('{ fine }', 'req-debug')
    const yogaLines = logs.records.filter((line) => line.msg === 'yoga')
    expect(yogaLines.length).toBeGreaterThan(0)
    expect(new Set(logs.records.map((line) => line.requestId))).toEqual(new Set(['req-debug']))
  })
})
