import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import { RegionImages } from '../images/connection.js'
import type { Logger } from '../logger.js'
import type { UpstreamImage } from '../upstream/types.js'

/**
 * Where answers of the image list may be kept between requests. Keys always start with the
 * caller's token hash, so one caller's entries are never served to another.
 */
export interface RegionImagesStore {
  get(key: string): Promise<RegionImages | undefined>
  set(key: string, value: RegionImages, ttlMs: number): Promise<void>
  close(): Promise<void>
}

/** In-process LRU, bounded by the number of images held (not entries: one region may hold 10,000). */
export class MemoryRegionImagesStore implements RegionImagesStore {
  readonly #entries: LRUCache<string, RegionImages>

  constructor(maxImages: number) {
    this.#entries = new LRUCache<string, RegionImages>({
      maxSize: maxImages,
      sizeCalculation: (value) => Math.max(1, value.images.length),
    })
  }

  async get(key: string): Promise<RegionImages | undefined> {
    return this.#entries.get(key)
  }

  async set(key: string, value: RegionImages, ttlMs: number): Promise<void> {
    this.#entries.set(key, value, { ttl: ttlMs })
  }

  async close(): Promise<void> {
    this.#entries.clear()
  }
}

const REDIS_PREFIX = 'images-gateway:v1:'

/**
 * Redis store, so replicas share answers. Values are the upstream images as the Region Service
 * sent them (validated before they were stored); a value that cannot be read counts as a miss,
 * and Redis being down never fails a request.
 */
export class RedisRegionImagesStore implements RegionImagesStore {
  readonly #redis: Redis
  readonly #log: Logger

  constructor(redis: Redis, log: Logger) {
    this.#redis = redis
    this.#log = log
  }

  async get(key: string): Promise<RegionImages | undefined> {
    try {
      const text = await this.#redis.get(REDIS_PREFIX + key)
      if (text === null) return undefined
      const value = JSON.parse(text) as { regionId?: unknown; images?: unknown }
      if (typeof value.regionId !== 'string' || !Array.isArray(value.images)) return undefined
      return RegionImages.fromUpstream(value.regionId, value.images as UpstreamImage[])
    } catch (error) {
      this.#log.warn({ err: error }, 'response cache read failed; fetching from the Region Service')
      return undefined
    }
  }

  async set(key: string, value: RegionImages, ttlMs: number): Promise<void> {
    try {
      const stored = { regionId: value.regionId, images: value.images.map((image) => image.upstream) }
      await this.#redis.set(REDIS_PREFIX + key, JSON.stringify(stored), 'PX', ttlMs)
    } catch (error) {
      this.#log.warn({ err: error }, 'response cache write failed')
    }
  }

  async close(): Promise<void> {
    this.#redis.disconnect()
  }
}

export interface RegionImagesSourceOptions {
  /** 0 turns the cache off; coalescing of concurrent identical calls always applies. */
  readonly ttlMs: number
  readonly store?: RegionImagesStore | undefined
}

/** One shared upstream call and the requests waiting for it. */
interface InFlight {
  readonly loading: Promise<RegionImages>
  readonly controller: AbortController
  /** Requests waiting that have not gone away; at 0 the call is cancelled. */
  waiting: number
}

/**
 * The process-wide layer between per-request loaders and the upstream: concurrent identical
 * calls of the same caller share one upstream call, and with a TTL, answers are reused.
 * Keys are `<token hash>|<region key>`: the token itself is never a key.
 *
 * A shared call is cancelled only when every request waiting for it has gone away (each
 * passes its request's signal): one browser tab closing never fails another's request.
 */
export class RegionImagesSource {
  readonly #inFlight = new Map<string, InFlight>()
  readonly #ttlMs: number
  readonly #store: RegionImagesStore | undefined

  constructor(options: RegionImagesSourceOptions) {
    this.#ttlMs = options.ttlMs
    this.#store = options.ttlMs > 0 ? options.store : undefined
  }

  load(
    callerHash: string,
    regionKey: string,
    fetch: (signal: AbortSignal) => Promise<RegionImages>,
    signal?: AbortSignal,
  ): Promise<RegionImages> {
    const key = `${callerHash}|${regionKey}`
    let entry = this.#inFlight.get(key)
    if (!entry) {
      const controller = new AbortController()
      const started: InFlight = {
        loading: this.#loadThrough(key, controller.signal, () => fetch(controller.signal)),
        controller,
        waiting: 0,
      }
      // Forgotten once settled (the callers handle its outcome; this branch only cleans up).
      started.loading
        .finally(() => {
          if (this.#inFlight.get(key) === started) this.#inFlight.delete(key)
        })
        .catch(() => undefined)
      entry = started
      this.#inFlight.set(key, started)
    }
    this.#wait(key, entry, signal)
    return entry.loading
  }

  /** Counts a waiting request; when the last one goes away, the call is cancelled and forgotten. */
  #wait(key: string, entry: InFlight, signal: AbortSignal | undefined): void {
    entry.waiting++
    // Without a signal (or once the call has settled) nothing can cancel it.
    if (!signal) return
    const goneAway = () => {
      entry.waiting--
      if (entry.waiting > 0) return
      // Later requests start a call of their own rather than join a cancelled one.
      if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key)
      entry.controller.abort()
    }
    if (signal.aborted) {
      goneAway()
      return
    }
    signal.addEventListener('abort', goneAway, { once: true })
    const forget = () => signal.removeEventListener('abort', goneAway)
    entry.loading.then(forget, forget)
  }

  async #loadThrough(
    key: string,
    signal: AbortSignal,
    fetch: () => Promise<RegionImages>,
  ): Promise<RegionImages> {
    const store = this.#store
    if (!store) return fetch()
    const cached = await store.get(key)
    if (cached) return cached
    // Everyone waiting left while the cache was read: no call at all.
    signal.throwIfAborted()
    const fresh = await fetch()
    // Storing is not on the request's path: the store logs its own failures.
    void store.set(key, fresh, this.#ttlMs)
    return fresh
  }

  async close(): Promise<void> {
    await this.#store?.close()
  }
}
