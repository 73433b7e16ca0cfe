/** Shortest run of a credential's characters that is removed from text shown to anyone. */
export const CREDENTIAL_RUN = 8
const MAX_SHOWN = 200

/**
 * Upstream text made safe to show: control and non-ASCII characters become spaces first (so a
 * credential split by them is whole again), then every run of `CREDENTIAL_RUN` or more
 * characters that also occurs in the credential is removed, compared without case, as is
 * anything after "Bearer"; the result is one line of at most a few hundred characters.
 */
export function scrubUpstreamText(text: string, authorization: string): string {
  const flat = text.slice(0, 4 * MAX_SHOWN).replace(/[^\x20-\x7e]+/g, ' ')
  const credential = authorization.replace(/^bearer\s+/i, '')
  const scrubbed = withoutCredentialRuns(flat, credential)
    .replace(/bearer\s+\S+/gi, 'Bearer [redacted]')
    .trim()
  return scrubbed.length > MAX_SHOWN ? `${scrubbed.slice(0, MAX_SHOWN)}...` : scrubbed
}

/**
 * `text` with every run of at least CREDENTIAL_RUN characters found in `credential` replaced.
 * A run of that length or more is covered by windows of exactly CREDENTIAL_RUN characters that
 * each occur in the credential, so marking those windows marks exactly such runs.
 */
function withoutCredentialRuns(text: string, credential: string): string {
  if (credential.length < CREDENTIAL_RUN || text.length < CREDENTIAL_RUN) return text
  const lowerCredential = credential.toLowerCase()
  const windows = new Set<string>()
  for (let start = 0; start + CREDENTIAL_RUN <= lowerCredential.length; start++) {
    windows.add(lowerCredential.slice(start, start + CREDENTIAL_RUN))
  }
  const lower = text.toLowerCase()
  const marked = new Uint8Array(text.length)
  let found = false
  for (let start = 0; start + CREDENTIAL_RUN <= lower.length; start++) {
    if (windows.has(lower.slice(start, start + CREDENTIAL_RUN))) {
      marked.fill(1, start, start + CREDENTIAL_RUN)
      found = true
    }
  }
  if (!found) return text
  let out = ''
  for (let index = 0; index < text.length; index++) {
    if (!marked[index]) out += text[index]
    else if (index === 0 || !marked[index - 1]) out += '[redacted]'
  }
  return out
}
