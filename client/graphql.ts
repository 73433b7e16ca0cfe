/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** CPU architecture an image is built for. */
export type Architecture =
  /** 64-bit ARM. */
  | 'AARCH64'
  /** 64-bit x86 (AMD64). */
  | 'X86_64';

/** Every `extensions.code` the gateway puts on an error, and the `code` of a failed region's outcome. */
export type ErrorCode =
  /** An argument is invalid (for example an id that is not a UUID); nothing was sent upstream. */
  | 'BAD_USER_INPUT'
  /** The Region Service denied access (HTTP 403). */
  | 'FORBIDDEN'
  /**
   * The gateway had no room for this call: its process-wide budget for upstream answers being
   * read, or its own file descriptors, were used up. Not the region's fault; retry shortly.
   */
  | 'GATEWAY_OVERLOADED'
  /** The region does not exist or is not visible to the caller (HTTP 404). */
  | 'NOT_FOUND'
  /** The request named a persisted document (by `documentId` or `extensions.persistedQuery`) the gateway does not have. */
  | 'PERSISTED_QUERY_NOT_FOUND'
  /** The gateway only runs persisted documents and the request sent a query text. */
  | 'PERSISTED_QUERY_ONLY'
  /** No bearer token was sent, or the Region Service rejected it (HTTP 401). */
  | 'UNAUTHENTICATED'
  /** The Region Service failed (HTTP 5xx) or answered with a status the gateway does not expect. */
  | 'UPSTREAM_ERROR'
  /** The Region Service answered with a body that is not JSON, does not match its OpenAPI contract, or is larger than the gateway accepts for one answer. */
  | 'UPSTREAM_INVALID_RESPONSE'
  /** The Region Service did not answer within the gateway's timeout. */
  | 'UPSTREAM_TIMEOUT'
  /** The Region Service could not be reached (connection refused, reset or DNS failure). */
  | 'UPSTREAM_UNAVAILABLE';

/** GPU conditions of an image filter. */
export type GpuFilter = {
  /** GPU models the image must support one of, compared case-insensitively (e.g. `h100`). */
  models?: Array<string> | null | undefined;
  /** true: only images with a GPU driver; false: only images without. */
  present?: boolean | null | undefined;
  /** GPU vendors. */
  vendors?: Array<GpuVendor> | null | undefined;
};

/** GPU vendor whose driver an image ships. */
export type GpuVendor =
  /** AMD. */
  | 'AMD'
  /** NVIDIA. */
  | 'NVIDIA';

/** Conditions on images. All given conditions must hold (AND); within a list, any value may match (OR). An empty list or null means no condition. */
export type ImageFilter = {
  /** CPU architectures. */
  architectures?: Array<Architecture> | null | undefined;
  /** GPU conditions. */
  gpu?: GpuFilter | null | undefined;
  /** true: only images with preinstalled software (e.g. Kubernetes node images); false: only general-purpose images. */
  hasSoftware?: boolean | null | undefined;
  /** Only images whose minimum disk size is at most this many GiB: the images that fit a flavor's disk. */
  maxSizeGiB?: number | null | undefined;
  /** Only images whose minimum disk size is at least this many GiB. */
  minSizeGiB?: number | null | undefined;
  /** Case-insensitive substring of the name. */
  nameContains?: string | null | undefined;
  /** Operating system conditions. */
  os?: OperatingSystemFilter | null | undefined;
  /** Images owned by one of these organizations (global images have no owner and never match). */
  ownerOrganizationIds?: Array<string | number> | null | undefined;
  /** Images that have one of these software packages (each optionally at one of its versions). */
  software?: Array<SoftwareFilter> | null | undefined;
  /** Organization-owned images created in one of these ways (global images have no source and never match). */
  sources?: Array<ImageSource> | null | undefined;
  /** Images that carry one of these tags (a tag without value matches any value of that name). */
  tags?: Array<TagFilter> | null | undefined;
  /** Machine kinds. An image whose virtualization is ANY matches every requested kind. */
  virtualizations?: Array<Virtualization> | null | undefined;
};

/** One ordering criterion. Ties are always broken by name, region id and image id ascending. */
export type ImageOrder = {
  /** Which way; ascending when omitted. */
  direction?: OrderDirection | null | undefined;
  /** What to order by. */
  field: ImageOrderField;
};

/** What an image list can be ordered by. */
export type ImageOrderField =
  /** Creation time. */
  | 'CREATED_AT'
  /** Name, in Unicode code-point order (as the Region Service sorts). */
  | 'NAME'
  /** Region id. */
  | 'REGION'
  /** Minimum disk size. */
  | 'SIZE'
  /** Lifecycle state, in lifecycle order: PENDING, CREATING, READY, FAILED. */
  | 'STATE';

/** How an organization-owned image came to be. */
export type ImageSource =
  /** Uploaded or imported by the organization. */
  | 'IMPORT'
  /** Taken as a snapshot of one of the organization's servers. */
  | 'SNAPSHOT';

/** Lifecycle state of an image. */
export type ImageState =
  /** Being created (uploaded, imported or snapshotted). */
  | 'CREATING'
  /** Creation failed; the image cannot be used. */
  | 'FAILED'
  /** Accepted, not yet being built. */
  | 'PENDING'
  /** Usable for new servers. */
  | 'READY';

/** Operating system conditions of an image filter; values compare exactly. */
export type OperatingSystemFilter = {
  /** Distributions, e.g. `ubuntu`, `rocky`. */
  distros?: Array<string> | null | undefined;
  /** OS families, e.g. `debian`, `redhat`. */
  families?: Array<string> | null | undefined;
  /** Variants, e.g. `server`. */
  variants?: Array<string> | null | undefined;
  /** Distribution versions, e.g. `24.04`. */
  versions?: Array<string> | null | undefined;
};

/** Sort direction. */
export type OrderDirection =
  /** Ascending. */
  | 'ASC'
  /** Descending. */
  | 'DESC';

/** A software condition: the image has this software, at one of the versions if given. */
export type SoftwareFilter = {
  /** Software name, e.g. `kubernetes`. */
  name: string;
  /** Versions such as `v1.32.2`; any version when omitted. */
  versions?: Array<string> | null | undefined;
};

/** A tag condition. */
export type TagFilter = {
  /** Tag name. */
  name: string;
  /** Tag value; any value when omitted. */
  value?: string | null | undefined;
};

/** What kind of machine an image boots on. */
export type Virtualization =
  /** Either virtual machines or bare-metal servers. */
  | 'ANY'
  /** Bare-metal servers only. */
  | 'BAREMETAL'
  /** Virtual machines only. */
  | 'VIRTUALIZED';

export type ImageDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type ImageDetailQuery = { node: { imageId: string, regionId: string, name: string, description: string | null, state: ImageState, createdAt: string, createdBy: string | null, modifiedAt: string | null, modifiedBy: string | null, architecture: Architecture, sizeGiB: number, virtualization: Virtualization, ownerOrganizationId: string | null, source: ImageSource | null, id: string, tags: Array<{ name: string, value: string }>, os: { kernel: string, family: string, distro: string, variant: string | null, codename: string | null, version: string }, softwareVersions: Array<{ name: string, version: string }>, gpu: { vendor: GpuVendor, driver: string, models: Array<string> } | null } | null };

export type ImagePickerQueryVariables = Exact<{
  regionId: string | number;
  organizationId: string | number;
  architecture: Architecture;
  maxSizeGiB: number;
  gpuVendors?: Array<GpuVendor> | GpuVendor | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ImagePickerQuery = { region: { id: string, images: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, facets: { osVersions: Array<{ group: string, value: string, count: number }> }, nodes: Array<{ id: string, name: string, description: string | null, sizeGiB: number, virtualization: Virtualization, source: ImageSource | null, os: { distro: string, variant: string | null, version: string, codename: string | null }, gpu: { vendor: GpuVendor, driver: string, models: Array<string> } | null }> } | null } };

export type KubernetesVersionPickerQueryVariables = Exact<{
  regionId: string | number;
  organizationId: string | number;
}>;


export type KubernetesVersionPickerQuery = { region: { id: string, images: { totalCount: number, facets: { softwareVersions: Array<{ group: string, value: string, count: number }> }, nodes: Array<{ id: string, name: string, architecture: Architecture, kubernetes: string | null, gpu: { vendor: GpuVendor, models: Array<string> } | null }> } | null } };

export type OrganizationImagesQueryVariables = Exact<{
  organizationId: string | number;
  filter?: ImageFilter | null | undefined;
  orderBy?: Array<ImageOrder> | ImageOrder | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type OrganizationImagesQuery = { images: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, regions: Array<{ regionId: string, ok: boolean, imageCount: number, error: { code: ErrorCode, message: string, traceId: string | null } | null }>, facets: { distros: Array<{ value: string, count: number }>, gpuModels: Array<{ value: string, count: number }>, sources: Array<{ value: string, count: number }>, regions: Array<{ value: string, count: number }> }, nodes: Array<{ id: string, name: string, regionId: string, state: ImageState, sizeGiB: number, architecture: Architecture, ownerOrganizationId: string | null, source: ImageSource | null, createdAt: string, os: { distro: string, version: string } }> } };


export const ImageDetailDocument = {"__meta__":{"hash":"sha256:d4666c796f6e82635f6f972415037863623d95047a7c9584abb87f203868f806"}} as unknown as DocumentNode<ImageDetailQuery, ImageDetailQueryVariables>;
export const ImagePickerDocument = {"__meta__":{"hash":"sha256:0a9b6c875f7cd5d6ea4b888d88cd031d0376d06f9f79ebb7e5afc26eb3563e97"}} as unknown as DocumentNode<ImagePickerQuery, ImagePickerQueryVariables>;
export const KubernetesVersionPickerDocument = {"__meta__":{"hash":"sha256:018b4cfe0cbe906fca4f55e717418d9b19b56df0febdcb95afea8ae37294ddfe"}} as unknown as DocumentNode<KubernetesVersionPickerQuery, KubernetesVersionPickerQueryVariables>;
export const OrganizationImagesDocument = {"__meta__":{"hash":"sha256:8f13a64097c5041c05a2bb12bb9a518143ba76c3ed5f5ad83a0fa04fca751892"}} as unknown as DocumentNode<OrganizationImagesQuery, OrganizationImagesQueryVariables>;