/* eslint-disable */

import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core'
import * as types from './graphql.js'

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
  'query ImageDetail($id: ID!) {\n  node(id: $id) {\n    id\n    ... on Image {\n      imageId\n      regionId\n      name\n      description\n      state\n      createdAt\n      createdBy\n      modifiedAt\n      modifiedBy\n      architecture\n      sizeGiB\n      virtualization\n      ownerOrganizationId\n      source\n      tags {\n        name\n        value\n      }\n      os {\n        kernel\n        family\n        distro\n        variant\n        codename\n        version\n      }\n      softwareVersions {\n        name\n        version\n      }\n      gpu {\n        vendor\n        driver\n        models\n      }\n    }\n  }\n}': typeof types.ImageDetailDocument
  'query ImagePicker($regionId: ID!, $organizationId: ID!, $architecture: Architecture!, $maxSizeGiB: Int!, $gpuVendors: [GpuVendor!], $first: Int = 100, $after: String) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {architectures: [$architecture], maxSizeGiB: $maxSizeGiB, hasSoftware: false, gpu: {vendors: $gpuVendors}}\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      facets {\n        osVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        description\n        sizeGiB\n        virtualization\n        source\n        os {\n          distro\n          variant\n          version\n          codename\n        }\n        gpu {\n          vendor\n          driver\n          models\n        }\n      }\n    }\n  }\n}': typeof types.ImagePickerDocument
  'query KubernetesVersionPicker($regionId: ID!, $organizationId: ID!) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {software: [{name: "kubernetes"}]}\n      orderBy: [{field: CREATED_AT, direction: DESC}]\n      first: 500\n    ) {\n      totalCount\n      facets {\n        softwareVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        kubernetes: softwareVersion(name: "kubernetes")\n        architecture\n        gpu {\n          vendor\n          models\n        }\n      }\n    }\n  }\n}': typeof types.KubernetesVersionPickerDocument
  'query OrganizationImages($organizationId: ID!, $filter: ImageFilter, $orderBy: [ImageOrder!], $first: Int = 50, $after: String) {\n  images(\n    organizationId: $organizationId\n    filter: $filter\n    orderBy: $orderBy\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    regions {\n      regionId\n      ok\n      imageCount\n      error {\n        code\n        message\n        traceId\n      }\n    }\n    facets {\n      distros {\n        value\n        count\n      }\n      gpuModels {\n        value\n        count\n      }\n      sources {\n        value\n        count\n      }\n      regions {\n        value\n        count\n      }\n    }\n    nodes {\n      id\n      name\n      regionId\n      state\n      sizeGiB\n      architecture\n      ownerOrganizationId\n      source\n      createdAt\n      os {\n        distro\n        version\n      }\n    }\n  }\n}': typeof types.OrganizationImagesDocument
}
const documents: Documents = {
  'query ImageDetail($id: ID!) {\n  node(id: $id) {\n    id\n    ... on Image {\n      imageId\n      regionId\n      name\n      description\n      state\n      createdAt\n      createdBy\n      modifiedAt\n      modifiedBy\n      architecture\n      sizeGiB\n      virtualization\n      ownerOrganizationId\n      source\n      tags {\n        name\n        value\n      }\n      os {\n        kernel\n        family\n        distro\n        variant\n        codename\n        version\n      }\n      softwareVersions {\n        name\n        version\n      }\n      gpu {\n        vendor\n        driver\n        models\n      }\n    }\n  }\n}':
    types.ImageDetailDocument,
  'query ImagePicker($regionId: ID!, $organizationId: ID!, $architecture: Architecture!, $maxSizeGiB: Int!, $gpuVendors: [GpuVendor!], $first: Int = 100, $after: String) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {architectures: [$architecture], maxSizeGiB: $maxSizeGiB, hasSoftware: false, gpu: {vendors: $gpuVendors}}\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      facets {\n        osVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        description\n        sizeGiB\n        virtualization\n        source\n        os {\n          distro\n          variant\n          version\n          codename\n        }\n        gpu {\n          vendor\n          driver\n          models\n        }\n      }\n    }\n  }\n}':
    types.ImagePickerDocument,
  'query KubernetesVersionPicker($regionId: ID!, $organizationId: ID!) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {software: [{name: "kubernetes"}]}\n      orderBy: [{field: CREATED_AT, direction: DESC}]\n      first: 500\n    ) {\n      totalCount\n      facets {\n        softwareVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        kubernetes: softwareVersion(name: "kubernetes")\n        architecture\n        gpu {\n          vendor\n          models\n        }\n      }\n    }\n  }\n}':
    types.KubernetesVersionPickerDocument,
  'query OrganizationImages($organizationId: ID!, $filter: ImageFilter, $orderBy: [ImageOrder!], $first: Int = 50, $after: String) {\n  images(\n    organizationId: $organizationId\n    filter: $filter\n    orderBy: $orderBy\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    regions {\n      regionId\n      ok\n      imageCount\n      error {\n        code\n        message\n        traceId\n      }\n    }\n    facets {\n      distros {\n        value\n        count\n      }\n      gpuModels {\n        value\n        count\n      }\n      sources {\n        value\n        count\n      }\n      regions {\n        value\n        count\n      }\n    }\n    nodes {\n      id\n      name\n      regionId\n      state\n      sizeGiB\n      architecture\n      ownerOrganizationId\n      source\n      createdAt\n      os {\n        distro\n        version\n      }\n    }\n  }\n}':
    types.OrganizationImagesDocument,
}

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: 'query ImageDetail($id: ID!) {\n  node(id: $id) {\n    id\n    ... on Image {\n      imageId\n      regionId\n      name\n      description\n      state\n      createdAt\n      createdBy\n      modifiedAt\n      modifiedBy\n      architecture\n      sizeGiB\n      virtualization\n      ownerOrganizationId\n      source\n      tags {\n        name\n        value\n      }\n      os {\n        kernel\n        family\n        distro\n        variant\n        codename\n        version\n      }\n      softwareVersions {\n        name\n        version\n      }\n      gpu {\n        vendor\n        driver\n        models\n      }\n    }\n  }\n}',
): (typeof documents)['query ImageDetail($id: ID!) {\n  node(id: $id) {\n    id\n    ... on Image {\n      imageId\n      regionId\n      name\n      description\n      state\n      createdAt\n      createdBy\n      modifiedAt\n      modifiedBy\n      architecture\n      sizeGiB\n      virtualization\n      ownerOrganizationId\n      source\n      tags {\n        name\n        value\n      }\n      os {\n        kernel\n        family\n        distro\n        variant\n        codename\n        version\n      }\n      softwareVersions {\n        name\n        version\n      }\n      gpu {\n        vendor\n        driver\n        models\n      }\n    }\n  }\n}']
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: 'query ImagePicker($regionId: ID!, $organizationId: ID!, $architecture: Architecture!, $maxSizeGiB: Int!, $gpuVendors: [GpuVendor!], $first: Int = 100, $after: String) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {architectures: [$architecture], maxSizeGiB: $maxSizeGiB, hasSoftware: false, gpu: {vendors: $gpuVendors}}\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      facets {\n        osVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        description\n        sizeGiB\n        virtualization\n        source\n        os {\n          distro\n          variant\n          version\n          codename\n        }\n        gpu {\n          vendor\n          driver\n          models\n        }\n      }\n    }\n  }\n}',
): (typeof documents)['query ImagePicker($regionId: ID!, $organizationId: ID!, $architecture: Architecture!, $maxSizeGiB: Int!, $gpuVendors: [GpuVendor!], $first: Int = 100, $after: String) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {architectures: [$architecture], maxSizeGiB: $maxSizeGiB, hasSoftware: false, gpu: {vendors: $gpuVendors}}\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      facets {\n        osVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        description\n        sizeGiB\n        virtualization\n        source\n        os {\n          distro\n          variant\n          version\n          codename\n        }\n        gpu {\n          vendor\n          driver\n          models\n        }\n      }\n    }\n  }\n}']
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: 'query KubernetesVersionPicker($regionId: ID!, $organizationId: ID!) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {software: [{name: "kubernetes"}]}\n      orderBy: [{field: CREATED_AT, direction: DESC}]\n      first: 500\n    ) {\n      totalCount\n      facets {\n        softwareVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        kubernetes: softwareVersion(name: "kubernetes")\n        architecture\n        gpu {\n          vendor\n          models\n        }\n      }\n    }\n  }\n}',
): (typeof documents)['query KubernetesVersionPicker($regionId: ID!, $organizationId: ID!) {\n  region(id: $regionId) {\n    id\n    images(\n      organizationIds: [$organizationId]\n      status: [READY]\n      filter: {software: [{name: "kubernetes"}]}\n      orderBy: [{field: CREATED_AT, direction: DESC}]\n      first: 500\n    ) {\n      totalCount\n      facets {\n        softwareVersions {\n          group\n          value\n          count\n        }\n      }\n      nodes {\n        id\n        name\n        kubernetes: softwareVersion(name: "kubernetes")\n        architecture\n        gpu {\n          vendor\n          models\n        }\n      }\n    }\n  }\n}']
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(
  source: 'query OrganizationImages($organizationId: ID!, $filter: ImageFilter, $orderBy: [ImageOrder!], $first: Int = 50, $after: String) {\n  images(\n    organizationId: $organizationId\n    filter: $filter\n    orderBy: $orderBy\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    regions {\n      regionId\n      ok\n      imageCount\n      error {\n        code\n        message\n        traceId\n      }\n    }\n    facets {\n      distros {\n        value\n        count\n      }\n      gpuModels {\n        value\n        count\n      }\n      sources {\n        value\n        count\n      }\n      regions {\n        value\n        count\n      }\n    }\n    nodes {\n      id\n      name\n      regionId\n      state\n      sizeGiB\n      architecture\n      ownerOrganizationId\n      source\n      createdAt\n      os {\n        distro\n        version\n      }\n    }\n  }\n}',
): (typeof documents)['query OrganizationImages($organizationId: ID!, $filter: ImageFilter, $orderBy: [ImageOrder!], $first: Int = 50, $after: String) {\n  images(\n    organizationId: $organizationId\n    filter: $filter\n    orderBy: $orderBy\n    first: $first\n    after: $after\n  ) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    regions {\n      regionId\n      ok\n      imageCount\n      error {\n        code\n        message\n        traceId\n      }\n    }\n    facets {\n      distros {\n        value\n        count\n      }\n      gpuModels {\n        value\n        count\n      }\n      sources {\n        value\n        count\n      }\n      regions {\n        value\n        count\n      }\n    }\n    nodes {\n      id\n      name\n      regionId\n      state\n      sizeGiB\n      architecture\n      ownerOrganizationId\n      source\n      createdAt\n      os {\n        distro\n        version\n      }\n    }\n  }\n}']

export function graphql(source: string) {
  return (documents as any)[source] ?? {}
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> =
  TDocumentNode extends DocumentNode<infer TType, any> ? TType : never
