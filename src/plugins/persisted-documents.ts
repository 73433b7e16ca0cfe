import { readFileSync } from 'node:fs'
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations'
import type { GraphQLParams, Plugin } from 'graphql-yoga'
import { GatewayError } from '../errors.js'

/** The manifest graphql-codegen's client preset writes from documents/: `sha256:<hex>` -> document. */
export const PERSISTED_DOCUMENTS_URL = new URL('../../client/persisted-documents.json', import.meta.url)

export function loadPersistedDocuments(url: URL = PERSISTED_DOCUMENTS_URL): ReadonlyMap<string, string> {
  return new Map(Object.entries(JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>))
}

const HASH = /^(?:sha256:)?([0-9a-f]{64})$/

/**
 * The document id a request names: `documentId` (GraphQL over HTTP persisted documents) or
 * Apollo's `extensions.persistedQuery.sha256Hash`; both may omit the `sha256:` prefix.
 */
export function persistedDocumentId(params: GraphQLParams & { documentId?: unknown }): string | null {
  const persistedQuery = (
    params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined
  )?.persistedQuery
  const raw =
    typeof params.documentId === 'string'
      ? params.documentId
      : persistedQuery?.version === 1 && typeof persistedQuery.sha256Hash === 'string'
        ? persistedQuery.sha256Hash
        : null
  if (raw === null) return null
  const match = HASH.exec(raw)
  // An id that is no hash can never be found; keep it as is so the "not found" error names it.
  return match ? `sha256:${match[1]}` : raw
}

function persistedOnly(): GatewayError {
  return new GatewayError(
    'PERSISTED_QUERY_ONLY',
    'This gateway only runs persisted documents; send a documentId.',
  )
}

/** Runs documents by hash; with `only`, refuses query texts. */
export function usePersistedDocuments(documents: ReadonlyMap<string, string>, only: boolean): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (id) => documents.get(id) ?? null,
    allowArbitraryOperations: !only,
    extractPersistedOperationId: persistedDocumentId,
    customErrors: {
      notFound: () => new GatewayError('PERSISTED_QUERY_NOT_FOUND', 'No persisted document has this id.'),
      persistedQueryOnly: persistedOnly,
      // Neither a query nor a document id: a bad request (HTTP 400), as without this plugin.
      keyNotFound: () => {
        const error = only
          ? persistedOnly()
          : new GatewayError('BAD_USER_INPUT', 'Send a GraphQL "query" string or a "documentId".')
        error.extensions.http = { status: 400 }
        return error
      },
    },
  })
}
