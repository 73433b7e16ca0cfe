// Validates docker-compose.yml against the Compose Specification JSON schema, which CI finds in
// ../shared/vendor/compose-spec/ (it is not part of this project). There is no Docker engine in
// CI, so `docker compose config` cannot do this. Usage: node .ci/validate-compose.mjs SCHEMA FILE
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { parse } from 'yaml'

const [schemaPath, composePath] = process.argv.slice(2)
if (!schemaPath || !composePath) {
  console.error('usage: node .ci/validate-compose.mjs <compose-spec.json> <docker-compose.yml>')
  process.exit(2)
}

const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false })
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')))

// The validator must bite: a service with an unknown key and a wrongly typed image is rejected.
if (validate({ services: { broken: { image: 42, not_a_compose_key: true } } })) {
  console.error('the compose schema accepted a broken document: the check is not working')
  process.exit(1)
}

// Merge keys (<<: *anchor) are resolved as docker compose resolves them, before validation.
const document = parse(readFileSync(composePath, 'utf8'), { merge: true })
if (!validate(document)) {
  console.error(`${composePath} does not match the Compose Specification:`)
  for (const error of validate.errors ?? []) {
    console.error(`  ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`)
  }
  process.exit(1)
}
const services = Object.keys(document.services ?? {})
console.log(`${composePath} matches the Compose Specification (services: ${services.join(', ')})`)
