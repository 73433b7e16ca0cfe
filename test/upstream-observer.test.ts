import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendError } from '../src/demo/region-service.js'
import { createLogger } from '../src/logger.js'
import { combineUpstreamObservers } from '../src/observability/upstream-observers.js'
import type { RegionApiClient } from '../src/upstream/client.js'
import type { UpstreamCallResult, UpstreamObserver } from '../src/upstream/observer.js'
import { SILENT, testClient } from './helpers/client.js'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { LogCapture, TEST_RESILIENCE, TOKEN } from './helpers/harness.js'

const ALPHA = uuid(1)
const BROKEN = uuid(2)

let upstream: RunningFakeUpstream

beforeAll(async () => {
  upstream = await startFakeUpstream(
    { regions: [makeRegion(ALPHA, 'alpha')], images: { [ALPHA]: [makeImage()] } },
    {
      intercept: (request, res) => {
        if (!request.path.includes(BROKEN)) return false
        sendError(res, 502, 'server_error', 'bad gateway', 'trace-502')
        return true
      },
    },
  )
})

afterAll(() => upstream.close())

/** An observer that writes down everything it is told. */
function recordingObserver(name: string, headers: Record<string, string>, seen: unknown[]): UpstreamObserver {
  return {
    callStarted(call) {
      seen.push([name, 'start', call])
      return {
        headers,
        retrying: (attempt, reason) => seen.push([name, 'retry', attempt, reason]),
        finished: (result: UpstreamCallResult) => seen.push([name, 'end', result]),
      }
    },
    circuitStateChanged: (regionId, state) => seen.push([name, 'circuit', regionId, state]),
  }
}

/** A client of the fake upstream watched by `observer`. */
function clientWith(observer: UpstreamObserver | undefined): RegionApiClient {
  return testClient(upstream.url, {
    timeoutMs: 2000,
    maxBodyBytes: 1024 * 1024,
    connections: 4,
    resilience: TEST_RESILIENCE,
    observer,
  })
}

describe('the upstream client’s observer hook', () => {
  it('reports each call’s start and end, adds its trace headers but no other, and never sees the token', async () => {
    const seen: unknown[] = []
    const client = clientWith(
      combineUpstreamObservers(
        [
          recordingObserver('first', { traceparent: 'tp-value', Authorization: 'Bearer forged' }, seen),
          recordingObserver(
            'second',
            {
              'X-Request-Id': 'forged',
              tracestate: 'ts-value',
              'X-Forwarded-For': '10.0.0.1',
              Cookie: 'session=1',
            },
            seen,
          ),
        ],
        (error) => seen.push(['error', error]),
      ),
    )
    const caller = client.forCaller({
      authorization: `Bearer ${TOKEN}`,
      callerKey: 'caller-1',
      requestId: 'req-observer-1',
      log: SILENT,
    })
    try {
      await caller.listImages({ regionId: ALPHA, organizationIds: [ORG_A], scope: 'owned' })
      await expect(caller.listImages({ regionId: BROKEN, organizationIds: [] })).rejects.toMatchObject({
        name: 'UpstreamError',
        kind: 'status',
        status: 502,
      })
    } finally {
      await client.close()
    }

    // 502 is retried (UPSTREAM_RETRIES = 2): one logical call, three requests, same headers each time.
    const [ok, ...failed] = upstream.requests
    expect(failed).toHaveLength(3)
    for (const request of [ok, ...failed]) {
      expect(request?.headers).toMatchObject({
        authorization: `Bearer ${TOKEN}`,
        'x-request-id': 'req-observer-1',
        traceparent: 'tp-value',
        tracestate: 'ts-value',
      })
      expect(request?.headers).not.toHaveProperty('x-forwarded-for')
      expect(request?.headers).not.toHaveProperty('cookie')
    }

    const start = {
      operation: 'listImages',
      method: 'GET',
      pathTemplate: '/api/v2/regions/{regionID}/images',
    }
    expect(seen).toEqual([
      ['first', 'start', { ...start, regionId: ALPHA, requestId: 'req-observer-1' }],
      ['second', 'start', { ...start, regionId: ALPHA, requestId: 'req-observer-1' }],
      ['first', 'end', expect.objectContaining({ regionId: ALPHA, status: 200, failure: undefined })],
      ['second', 'end', expect.objectContaining({ regionId: ALPHA, status: 200, failure: undefined })],
      ['first', 'start', { ...start, regionId: BROKEN, requestId: 'req-observer-1' }],
      ['second', 'start', { ...start, regionId: BROKEN, requestId: 'req-observer-1' }],
      ['first', 'retry', 2, 'HTTP 502'],
      ['second', 'retry', 2, 'HTTP 502'],
      ['first', 'retry', 3, 'HTTP 502'],
      ['second', 'retry', 3, 'HTTP 502'],
      [
        'first',
        'end',
        expect.objectContaining({
          regionId: BROKEN,
          status: 502,
          failure: 'status',
          upstreamTraceId: 'trace-502',
        }),
      ],
      ['second', 'end', expect.objectContaining({ regionId: BROKEN, status: 502, failure: 'status' })],
    ])
    for (const entry of seen) {
      const [, kind, result] = entry as [string, string, UpstreamCallResult]
      if (kind === 'end') expect(result.durationMs).toBeGreaterThanOrEqual(0)
    }
    expect(JSON.stringify(seen)).not.toContain(TOKEN)
  })

  it('passes retries and circuit changes on to every observer', () => {
    const seen: unknown[] = []
    const combined = combineUpstreamObservers(
      [recordingObserver('first', {}, seen), undefined, recordingObserver('second', {}, seen)],
      (error) => seen.push(['error', error]),
    )
    const scope = combined?.callStarted({
      operation: 'listImages',
      regionId: ALPHA,
      method: 'GET',
      pathTemplate: '/api/v2/regions/{regionID}/images',
      requestId: 'r',
    })
    scope?.retrying?.(2, 'HTTP 503')
    combined?.circuitStateChanged?.(ALPHA, 'open')
    expect(seen.filter((entry) => (entry as string[])[1] !== 'start')).toEqual([
      ['first', 'retry', 2, 'HTTP 503'],
      ['second', 'retry', 2, 'HTTP 503'],
      ['first', 'circuit', ALPHA, 'open'],
      ['second', 'circuit', ALPHA, 'open'],
    ])
  })
})

describe('an observer that throws', () => {
  const throwing = (where: 'start' | 'end'): UpstreamObserver => ({
    callStarted() {
      if (where === 'start') throw new Error('observer broke at start')
      return {
        finished() {
          throw new Error('observer broke at end')
        },
      }
    },
  })
  it('never fails the call; the observers that work still see each call start and end once', async () => {
    const logs = new LogCapture()
    const errors: unknown[] = []
    const ends: UpstreamCallResult[] = []
    const working = (): UpstreamObserver => ({
      callStarted: () => ({ finished: (result) => ends.push(result) }),
    })
    const clients = [
      // Combined: the combination reports each broken observer and carries on with the others.
      clientWith(combineUpstreamObservers([throwing('end'), working()], (error) => errors.push(error))),
      clientWith(combineUpstreamObservers([throwing('start'), working()], (error) => errors.push(error))),
      // Alone: the client logs it and carries on.
      clientWith(throwing('start')),
      clientWith(throwing('end')),
    ]
    const identity = {
      authorization: `Bearer ${TOKEN}`,
      callerKey: 'caller-2',
      requestId: 'req-observer-2',
      log: createLogger({ level: 'error', destination: logs }),
    }
    try {
      for (const client of clients) {
        expect(
          (await client.forCaller(identity).listImages({ regionId: ALPHA, organizationIds: [] })).images,
        ).toHaveLength(1)
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()))
    }
    expect(ends).toEqual([
      expect.objectContaining({ regionId: ALPHA, status: 200 }),
      expect.objectContaining({ regionId: ALPHA, status: 200 }),
    ])
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'observer broke at end',
      'observer broke at start',
    ])
    expect(
      logs.records.filter((record) => record.msg === 'upstream observer failed; the call goes on without it'),
    ).toHaveLength(2)
  })
})
