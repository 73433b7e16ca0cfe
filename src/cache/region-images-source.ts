import { hash } from 'node:crypto'
import type { ValidateFunction } from 'ajv'
import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import { RegionImages } from '../images/connection.js'
import type { Logger } from '../logger.js'
import type { UpstreamImage } from '../upstream/types.js'

/**
 * Where answers of the image list may be kept between requests. Keys always start with the
 * caller's keyed token hash, so one caller's entries are never served to another.
 */
export interface RegionImagesStore {
  get(key: string): Promise<RegionImages | undefined>
  set(key: string, value: RegionImages, ttlMs: number): Promise<void>
  close(): Promise<void>
  /** Bytes held in this process (0 for an external store). */
  readonly bytes: number
}

/** In-process LRU, bounded by the estimated heap of the answers it holds and their keys. */
export class MemoryRegionImagesStore implements RegionImagesStore {
  readonly #entries: LRUCache<string, RegionImages>

  /** @param now clock of the entries' TTL in milliseconds; injectable for tests */
  constructor(maxBytes: number, now?: () => number) {
    this.#entries = new LRUCache<string, RegionImages>({
      maxSize: maxBytes,
      ...(now ? { perf: { now } } : {}),
    })
  }

  get bytes(): number {
    return this.#entries.calculatedSize
  }

  async get(key: string): Promise<RegionImages | undefined> {
    return this.#entries.get(key)
  }

  async set(key: string, value: RegionImages, ttlMs: number): Promise<void> {
    // Keys are UTF-16 strings; an answer too large for the whole bound is not kept.
    const size = 2 * key.length + value.heapBytes
    if (size <= this.#entries.maxSize) this.#entries.set(key, value, { ttl: ttlMs, size })
  }

  async close(): Promise<void> {
    this.#entries.clear()
  }
}

// v2: keys are keyed hashes (CACHE_KEY_SECRET); v1 entries were plain SHA-256 and are never read.
const REDIS_PREFIX = 'images-gateway:v2:'

/**
 * Redis store, so replicas share answers. Values are the upstream images as the Region Service
 * sent them, checked against the upstream contract again when read back (Redis is outside this
 * process: what it returns is trusted no more than the upstream); a value that is too large or
 * does not check out counts as a miss, and Redis being down never fails a request.
 */
export class RedisRegionImagesStore implements RegionImagesStore {
  readonly #redis: Redis
  readonly #log: Logger
  readonly #images: ValidateFunction<UpstreamImage[]>
  readonly #maxValueBytes: number
  readonly bytes = 0

  constructor(
    redis: Redis,
    log: Logger,
    options: { images: ValidateFunction<UpstreamImage[]>; maxValueBytes: number },
  ) {
    this.#redis = redis
    this.#log = log
    this.#images = options.images
    this.#maxValueBytes = options.maxValueBytes
  }

  async get(key: string): Promise<RegionImages | undefined> {
    try {
      const bytes = await this.#redis.getBuffer(REDIS_PREFIX + key)
      if (bytes === null) return undefined
      if (bytes.length > this.#maxValueBytes) return this.#refuse('larger than an upstream answer may be')
      const value = JSON.parse(bytes.toString('utf8')) as {
        key?: unknown
        regionId?: unknown
        images?: unknown
      }
      // A value stored under another key (moved or forged in Redis) is no answer to this one.
      if (value.key !== key) return this.#refuse('stored for another key')
      if (typeof value.regionId !== 'string' || !this.#images(value.images)) {
        return this.#refuse('not an image list of the upstream contract')
      }
      return RegionImages.fromUpstream(value.regionId, value.images, bytes.length)
    } catch (error) {
      this.#log.warn({ err: error }, 'response cache read failed; fetching from the Region Service')
      return undefined
    }
  }

  #refuse(why: string): undefined {
    this.#log.warn({ why }, 'response cache value refused; fetching from the Region Service')
    return undefined
  }

  async set(key: string, value: RegionImages, ttlMs: number): Promise<void> {
    try {
      const stored = { key, regionId: value.regionId, images: value.images.map((image) => image.upstream) }
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
        loading: this.#loadThrough(callerHash, regionKey, controller.signal, () => fetch(controller.signal)),
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
    callerHash: string,
    regionKey: string,
    signal: AbortSignal,
    fetch: () => Promise<RegionImages>,
  ): Promise<RegionImages> {
    const store = this.#store
    if (!store) return fetch()
    // Region keys name the caller's organizations: the store, maybe shared, sees only their hash.
    const key = `${callerHash}|${hash('sha256', regionKey, 'base64url')}`
    const cached = await store.get(key)
    if (cached) return cached
    // Everyone waiting left while the cache was read: no call at all.
    signal.throwIfAborted()
    const fresh = await fetch()
    // Storing is not on the request's path: the store logs its own failures.
    void store.set(key, fresh, this.#ttlMs)
    return fresh
  }

  /** Bytes the response cache holds in this process. */
  get bytes(): number {
    return this.#store?.bytes ?? 0
  }

  async close(): Promise<void> {
    await this.#store?.close()
  }
}
