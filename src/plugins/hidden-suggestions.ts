import type { GraphQLError } from 'graphql'
import type { Plugin } from 'graphql-yoga'

/** "Did you mean "x"?", "Did you mean the enum value "X"?", "Did you mean "a" or "b"?" */
const SUGGESTION = /\s*Did you mean [^?]*\?/g

function withoutSuggestions(errors: readonly (Error | GraphQLError)[]): void {
  for (const error of errors) {
    if (SUGGESTION.test(error.message)) error.message = error.message.replace(SUGGESTION, '').trim()
    SUGGESTION.lastIndex = 0
  }
}

/**
 * Removes graphql-js's suggestions (field, argument, type and enum value names) from
 * validation errors and from variable coercion errors, which arrive with the execution
 * result: outside development they would show the schema piece by piece.
 */
export function useHiddenSuggestions(): Plugin {
  return {
    onValidate() {
      return ({ valid, result }) => {
        if (!valid) withoutSuggestions(result)
      }
    },
    onExecute() {
      return {
        onExecuteDone({ result }) {
          if (!(Symbol.asyncIterator in result) && result.errors) withoutSuggestions(result.errors)
        },
      }
    },
  }
}
