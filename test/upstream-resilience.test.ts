import { describe, expect, it } from 'vitest'
import { CircuitBreakers, type CircuitState } from '../src/upstream/circuit-breaker.js'
import {
  AcquireCancelledError,
  ConcurrencyLimit,
  QueueTimeoutError,
} from '../src/upstream/concurrency-limit.js'
import { parseRetryAfter, retryDelayMs } from '../src/upstream/retry-policy.js'

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
  function breakers(threshold = 3, cooldownMs = 1000) {
    const clock = { now: 0 }
    const changes: [string, CircuitState][] = []
    const breaker = new CircuitBreakers({
      failureThreshold: threshold,
      cooldownMs,
      now: () => clock.now,
      onStateChange: (key, state) => changes.push([key, state]),
    })
    return { breaker, clock, changes }
  }

  it('opens after consecutive failures and fails fast until the cool-down is over', () => {
    const { breaker, clock } = breakers()
    for (let failure = 0; failure < 2; failure++) breaker.recordFailure('a', false)
    expect(breaker.admit('a')).toEqual({ admitted: true, probe: false })
    breaker.recordFailure('a', false)
    expect(breaker.state('a')).toBe('open')
    clock.now = 400
    expect(breaker.admit('a')).toEqual({ admitted: false, retryInMs: 600 })
    expect(breaker.admit('b')).toEqual({ admitted: true, probe: false })
  })

  it('counts only consecutive failures', () => {
    const { breaker } = breakers()
    breaker.recordFailure('a', false)
    breaker.recordFailure('a', false)
    breaker.recordSuccess('a')
    breaker.recordFailure('a', false)
    breaker.recordFailure('a', false)
    expect(breaker.state('a')).toBe('closed')
  })

  it('lets exactly one probe through when half-open; its success closes the circuit', () => {
    const { breaker, clock, changes } = breakers(1)
    breaker.recordFailure('a', false)
    clock.now = 1000
    expect(breaker.admit('a')).toEqual({ admitted: true, probe: true })
    expect(breaker.admit('a')).toEqual({ admitted: false, retryInMs: 0 })
    breaker.recordSuccess('a')
    expect(breaker.admit('a')).toEqual({ admitted: true, probe: false })
    expect(changes).toEqual([
      ['a', 'open'],
      ['a', 'half-open'],
      ['a', 'closed'],
    ])
  })

  it('opens again when the probe fails, for a whole new cool-down', () => {
    const { breaker, clock } = breakers(1)
    breaker.recordFailure('a', false)
    clock.now = 1000
    breaker.admit('a')
    breaker.recordFailure('a', true)
    expect(breaker.state('a')).toBe('open')
    clock.now = 1999
    expect(breaker.admit('a')).toEqual({ admitted: false, retryInMs: 1 })
  })

  it('lets another probe through when a probe was never sent', () => {
    const { breaker, clock } = breakers(1)
    breaker.recordFailure('a', false)
    clock.now = 1000
    breaker.admit('a')
    breaker.release('a', true)
    expect(breaker.admit('a')).toEqual({ admitted: true, probe: true })
  })

  it('forgets the oldest circuits beyond its size limit', () => {
    const breaker = new CircuitBreakers({
      failureThreshold: 1,
      cooldownMs: 1000,
      now: () => 0,
      maxTracked: 2,
    })
    for (const key of ['a', 'b', 'c']) breaker.recordFailure(key, false)
    expect(['a', 'b', 'c'].map((key) => breaker.state(key))).toEqual(['closed', 'open', 'open'])
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
