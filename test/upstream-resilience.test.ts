import { describe, expect, it } from 'vitest'
import { sendError } from '../src/demo/region-service.js'
import {
  CircuitBreakers,
  type CircuitScope,
  type CircuitState,
  type CircuitTicket,
} from '../src/upstream/circuit-breaker.js'
import {
  AcquireCancelledError,
  ConcurrencyLimit,
  QueueTimeoutError,
} from '../src/upstream/concurrency-limit.js'
import { parseRetryAfter, retryDelayMs } from '../src/upstream/retry-policy.js'
import { SILENT, testClient } from './helpers/client.js'
import { startFakeUpstream } from './helpers/fake-upstream.js'
import { makeRegion, uuid } from './helpers/fixtures.js'
import { TEST_RESILIENCE } from './helpers/harness.js'

describe('retryDelayMs', () => {
  const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 }

  it('draws full jitter below an exponentially growing ceiling', () => {
    expect(retryDelayMs(policy, 1, undefined, () => 0.999)).toBe(99)
    expect(retryDelayMs(policy, 2, undefined, () => 0.999)).toBe(199)
    expect(retryDelayMs(policy, 3, undefined, () => 0.5)).toBe(200)
    expect(retryDelayMs(policy, 1, undefined, () => 0)).toBe(0)
  })

  it('never waits longer than the maximum', () => {
    const generous = { retries: 20, baseDelayMs: 100, maxDelayMs: 1000 }
    expect(retryDelayMs(generous, 15, undefined, () => 0.999)).toBe(999)
  })

  it('stops after the configured retries', () => {
    expect(retryDelayMs(policy, 4, undefined, () => 0.5)).toBeUndefined()
    expect(retryDelayMs({ ...policy, retries: 0 }, 1, undefined, () => 0.5)).toBeUndefined()
  })

  it('waits at least as long as Retry-After asks, and gives up when it asks for too long', () => {
    expect(retryDelayMs(policy, 1, 700, () => 0.1)).toBe(700)
    expect(retryDelayMs(policy, 1, 1000, () => 0.1)).toBe(1000)
    expect(retryDelayMs(policy, 1, 1001, () => 0.1)).toBeUndefined()
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')

  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:02 GMT', now)).toBe(2000)
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(['5', '9'], now)).toBe(5000)
  })

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', 'soon', '-1', '1.5'])
      expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})

describe('CircuitBreakers', () => {
  function breakers(threshold = 3, cooldownMs = 1000, minCallers = 2) {
    const clock = { now: 0 }
    const changes: [string, CircuitState, CircuitScope][] = []
    const breaker = new CircuitBreakers({
      failureThreshold: threshold,
      cooldownMs,
      minCallers,
      now: () => clock.now,
      onStateChange: (region, state, scope) => changes.push([region, state, scope]),
    })
    /** Admits `caller` and settles its call at once; the admission when refused. */
    const call = (region: string, caller: string, outcome: keyof CircuitTicket) => {
      const admission = breaker.admit(region, caller)
      if (admission.admitted) admission.ticket[outcome]()
      return admission
    }
    return { breaker, clock, changes, call }
  }

  it("opens only the failing caller's own circuit when one caller fails", () => {
    const { breaker, clock, call } = breakers()
    for (let failure = 0; failure < 3; failure++) call('r', 'mallory', 'failed')
    expect(breaker.callerState('r', 'mallory')).toBe('open')
    expect(breaker.state('r')).toBe('closed')
    clock.now = 400
    expect(breaker.admit('r', 'mallory')).toEqual({ admitted: false, scope: 'caller', retryInMs: 600 })
    expect(breaker.admit('r', 'alice')).toMatchObject({ admitted: true })
  })

  it('opens the region for everyone on consecutive failures of more than one caller', () => {
    const { breaker, clock, call, changes } = breakers()
    call('r', 'alice', 'failed')
    call('r', 'alice', 'failed')
    expect(breaker.state('r')).toBe('closed')
    call('r', 'bob', 'failed')
    expect(breaker.state('r')).toBe('open')
    clock.now = 250
    expect(breaker.admit('r', 'carol')).toEqual({ admitted: false, scope: 'region', retryInMs: 750 })
    expect(breaker.admit('other-region', 'carol')).toMatchObject({ admitted: true })
    expect(changes).toEqual([['r', 'open', 'region']])
  })

  it('counts only consecutive failures: any caller succeeding starts over', () => {
    const { breaker, call } = breakers()
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    call('r', 'carol', 'succeeded')
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    expect(breaker.state('r')).toBe('closed')
  })

  it("counts an answer one caller cannot use against that caller's circuit only", () => {
    const { breaker, call } = breakers()
    for (let round = 0; round < 3; round++) {
      call('r', 'alice', 'failedForCaller')
      call('r', 'bob', 'failedForCaller')
    }
    expect(breaker.callerState('r', 'alice')).toBe('open')
    expect(breaker.callerState('r', 'bob')).toBe('open')
    expect(breaker.state('r')).toBe('closed')
    expect(breaker.admit('r', 'carol')).toMatchObject({ admitted: true })
  })

  it('with minCallers 1, one caller is evidence enough', () => {
    const { breaker, call } = breakers(2, 1000, 1)
    call('r', 'alice', 'failed')
    call('r', 'alice', 'failed')
    expect(breaker.state('r')).toBe('open')
  })

  it('lets one probe through at a time when half-open; its success closes the circuit', () => {
    const { breaker, clock, call, changes } = breakers(1)
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    clock.now = 1000
    const probe = breaker.admit('r', 'carol')
    expect(probe).toMatchObject({ admitted: true })
    expect(breaker.admit('r', 'dave')).toEqual({ admitted: false, scope: 'region', retryInMs: 0 })
    if (probe.admitted) probe.ticket.succeeded()
    expect(breaker.admit('r', 'dave')).toMatchObject({ admitted: true })
    expect(changes.filter(([, , scope]) => scope === 'region').map(([, state]) => state)).toEqual([
      'open',
      'half-open',
      'closed',
    ])
  })

  it('does not let one caller keep the region open with failing probes', () => {
    const { breaker, clock, call } = breakers(1)
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    clock.now = 1000
    call('r', 'mallory', 'failed')
    expect(breaker.state('r')).toBe('half-open')
    // Mallory's probe failed: Mallory may not probe again, anyone else may.
    expect(breaker.admit('r', 'mallory')).toMatchObject({ admitted: false })
    expect(call('r', 'alice', 'succeeded')).toMatchObject({ admitted: true })
    expect(breaker.state('r')).toBe('closed')
  })

  it('lets a caller whose probe failed probe again after a cool-down of its own', () => {
    const { breaker, clock, call } = breakers(1)
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    clock.now = 1000
    call('r', 'alice', 'failed')
    expect(breaker.admit('r', 'alice')).toMatchObject({ admitted: false, retryInMs: 1000 })
    // Nobody else reads the region: Alice is not locked out of it once it recovers.
    clock.now = 2000
    expect(call('r', 'alice', 'succeeded')).toMatchObject({ admitted: true })
    expect(breaker.state('r')).toBe('closed')
  })

  it('opens again, for a whole new cool-down, when probes of more than one caller fail', () => {
    const { breaker, clock, call } = breakers(1)
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    clock.now = 1000
    call('r', 'carol', 'failed')
    call('r', 'dave', 'failed')
    expect(breaker.state('r')).toBe('open')
    clock.now = 1999
    expect(breaker.admit('r', 'erin')).toEqual({ admitted: false, scope: 'region', retryInMs: 1 })
  })

  it("probes a caller's own circuit once at a time; a failed probe opens it again", () => {
    const { breaker, clock, call } = breakers(1)
    call('r', 'mallory', 'failed')
    clock.now = 1000
    const probe = breaker.admit('r', 'mallory')
    expect(probe).toMatchObject({ admitted: true })
    expect(breaker.admit('r', 'mallory')).toEqual({ admitted: false, scope: 'caller', retryInMs: 0 })
    if (probe.admitted) probe.ticket.failed()
    expect(breaker.callerState('r', 'mallory')).toBe('open')
    clock.now = 2000
    expect(call('r', 'mallory', 'succeeded')).toMatchObject({ admitted: true })
    expect(breaker.callerState('r', 'mallory')).toBe('closed')
  })

  it('lets another probe through when a probe was never sent', () => {
    const { breaker, clock, call } = breakers(1)
    call('r', 'alice', 'failed')
    call('r', 'bob', 'failed')
    clock.now = 1000
    call('r', 'carol', 'released')
    expect(breaker.admit('r', 'carol')).toMatchObject({ admitted: true })
  })

  it('forgets the oldest circuits beyond its size limit', () => {
    const breaker = new CircuitBreakers({
      failureThreshold: 1,
      cooldownMs: 1000,
      minCallers: 1,
      now: () => 0,
      maxTracked: 2,
    })
    for (const region of ['a', 'b', 'c']) {
      const admission = breaker.admit(region, 'alice')
      if (admission.admitted) admission.ticket.failed()
    }
    expect(['a', 'b', 'c'].map((region) => breaker.state(region))).toEqual(['closed', 'open', 'open'])
  })
})

describe('ConcurrencyLimit', () => {
  it('holds at most max slots and hands them over in FIFO order', async () => {
    const limit = new ConcurrencyLimit(2)
    const first = await limit.acquire(1000)
    const second = await limit.acquire(1000)
    const order: string[] = []
    const third = limit.acquire(1000).then((release) => {
      order.push('third')
      return release
    })
    const fourth = limit.acquire(1000).then((release) => {
      order.push('fourth')
      return release
    })
    expect([limit.active, limit.queued]).toEqual([2, 2])
    first()
    first() // releasing twice frees one slot only
    const releaseThird = await third
    expect(order).toEqual(['third'])
    expect([limit.active, limit.queued]).toEqual([2, 1])
    second()
    ;(await fourth)()
    releaseThird()
    expect([limit.active, limit.queued]).toEqual([0, 0])
  })

  it('gives up on a slot after the wait budget', async () => {
    const limit = new ConcurrencyLimit(1)
    const held = await limit.acquire(1000)
    await expect(limit.acquire(0)).rejects.toBeInstanceOf(QueueTimeoutError)
    await expect(limit.acquire(5)).rejects.toBeInstanceOf(QueueTimeoutError)
    expect(limit.queued).toBe(0)
    held()
    expect(limit.active).toBe(0)
  })

  it('drops a waiter whose caller gave up, and hands its turn to the next', async () => {
    const limit = new ConcurrencyLimit(1)
    const held = await limit.acquire(1000)
    const givingUp = new AbortController()
    const cancelled = limit.acquire(1000, givingUp.signal)
    const next = limit.acquire(1000)
    expect(limit.queued).toBe(2)
    givingUp.abort()
    await expect(cancelled).rejects.toBeInstanceOf(AcquireCancelledError)
    expect(limit.queued).toBe(1)
    held()
    ;(await next)()
    expect([limit.active, limit.queued]).toEqual([0, 0])
    // Already gone: refused at once, even with a slot free.
    await expect(limit.acquire(1000, givingUp.signal)).rejects.toBeInstanceOf(AcquireCancelledError)
    expect(limit.active).toBe(0)
  })
})

describe('retries of the upstream client', () => {
  it('end at once, and send nothing more, when the client goes away during the backoff', async () => {
    const REGION = uuid(1, 'e')
    const upstream = await startFakeUpstream(
      { regions: [makeRegion(REGION, 'busy')], images: {} },
      {
        // Asks for a 30 s pause: longer than the test may take, so only the abort can end it.
        intercept: (_request, res) => {
          res.setHeader('retry-after', '30')
          sendError(res, 503, 'server_error', 'busy')
          return true
        },
      },
    )
    const client = testClient(upstream.url, {
      resilience: {
        ...TEST_RESILIENCE,
        retries: 2,
        retryMaxDelayMs: 60_000,
        operationDeadlineMs: 120_000,
      },
    })
    try {
      const leaving = new AbortController()
      const call = client
        .forCaller({ authorization: 'Bearer t', callerKey: 't', requestId: 'r', log: SILENT })
        .listImages({ regionId: REGION, organizationIds: [] }, leaving.signal)
      await expect.poll(() => upstream.requests.length).toBe(1)
      leaving.abort()
      await expect(call).rejects.toMatchObject({ name: 'UpstreamError', kind: 'cancelled' })
      expect(upstream.requests).toHaveLength(1)
    } finally {
      await client.close()
      await upstream.close()
    }
  })
})
