import type { Logger } from '../logger.js'
import type { UpstreamCallRecord } from './observer.js'
import type { UpstreamImage, UpstreamImageScope, UpstreamRegion } from './types.js'

export interface ListImagesRequest {
  readonly regionId: string
  /** Sent as repeated `organizationID` keys; empty means global images only. */
  readonly organizationIds: readonly string[]
  /** Only meaningful with organizationIds; omitted otherwise. */
  readonly scope?: UpstreamImageScope | undefined
}

/** A region's image list as the client hands it out. */
export interface ImageListAnswer {
  /** Never to be changed: a shared array is every caller's with the same answer. */
  readonly images: readonly UpstreamImage[]
  /** Size of the JSON body the images were parsed from. */
  readonly bytes: number
  /**
   * The array came from the answer memo, which hands this same array out for every
   * byte-identical answer of the region: what is derived from it can be kept with it. False
   * for an array this call parsed, even one the memo keeps from now on.
   */
  readonly shared: boolean
}

export interface CallerIdentity {
  /** The caller's `Bearer <token>` header, forwarded to nobody but the Region Service. */
  readonly authorization: string
  /** Tells callers apart without the credential (a keyed hash of it): whose failures these are. */
  readonly callerKey: string
  readonly requestId: string
  readonly log: Logger
  readonly onCall?: ((call: UpstreamCallRecord) => void) | undefined
}

/**
 * The Region Service as one caller sees it: every call carries that caller's credentials. A
 * call whose `signal` aborts (the client went away) stops waiting for a slot, is cut if in
 * flight and is not retried. Calls reject with UpstreamError.
 */
export interface CallerRegionApi {
  listImages(request: ListImagesRequest, signal?: AbortSignal): Promise<ImageListAnswer>
  listRegions(organizationId: string, signal?: AbortSignal): Promise<UpstreamRegion[]>
}

/** Bytes the client holds, for metrics. */
export interface UpstreamMemory {
  readonly answerMemoBytes: number
  readonly answerMemoLimit: number
  readonly bufferedBytes: number
  readonly bufferLimit: number
}

/** Result of `RegionApiClient.probe`. */
export interface UpstreamProbe {
  readonly reachable: boolean
  readonly status?: number
  readonly reason?: string
}
