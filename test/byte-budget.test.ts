import { describe, expect, it } from 'vitest'
import { ByteBudget } from '../src/upstream/byte-budget.js'

describe('ByteBudget', () => {
  function accounts(limit: number, count: number) {
    const budget = new ByteBudget(limit)
    const evicted: number[] = []
    return {
      budget,
      list: Array.from({ length: count }, (_, n) => budget.open(() => evicted.push(n))),
      evicted,
    }
  }

  it('takes while bytes fit and gives everything back on close', () => {
    const { budget, list } = accounts(100, 2)
    const [a, b] = list as [ReturnType<ByteBudget['open']>, ReturnType<ByteBudget['open']>]
    expect(a.take(60)).toBe(true)
    expect(b.take(40)).toBe(true)
    expect(budget.used).toBe(100)
    a.close()
    expect(budget.used).toBe(40)
    expect(a.take(1)).toBe(false)
  })

  it('makes the largest readers give way to a smaller one', () => {
    const { budget, list, evicted } = accounts(100, 3)
    const [big, middle, small] = list as [
      ReturnType<ByteBudget['open']>,
      ReturnType<ByteBudget['open']>,
      ReturnType<ByteBudget['open']>,
    ]
    big.take(70)
    middle.take(25)
    expect(small.take(10)).toBe(true)
    expect(evicted).toEqual([0])
    expect(big.take(1)).toBe(false)
    expect(budget.used).toBe(35)
  })

  it('fails the asking reader itself when it would be the largest', () => {
    const { budget, list, evicted } = accounts(100, 2)
    const [a, b] = list as [ReturnType<ByteBudget['open']>, ReturnType<ByteBudget['open']>]
    a.take(50)
    b.take(45)
    expect(b.take(10)).toBe(false)
    expect(evicted).toEqual([])
    expect(budget.used).toBe(95)
  })
})
