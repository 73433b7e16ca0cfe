import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'
import { OWNER_ORGANIZATION_TAG, SOURCE_TAG } from '../src/images/model.js'
import type { UpstreamImage } from '../src/upstream/types.js'

/**
 * The yardstick of scenario 1: what the gateway's work costs without GraphQL. One hand-written
 * handler for one fixed question (every field of one region's images, as scenario 1's query
 * asks): fetch with undici and the caller's token, JSON.parse, map each image by hand,
 * JSON.stringify. No schema, no validation of the answer, no error handling, no logs, metrics
 * or limits: a floor to measure the gateway against on the same machine in the same run, not
 * something to deploy. The harness checks that it answers exactly what the gateway answers.
 *
 * Two lower floors, for the time a hop adds at one connection: `/bytes` reads the upstream's
 * answer whole and passes its bytes on untouched (the cost of a buffering hop), `/parse`
 * JSON.parses them and JSON.stringifies the result without mapping (the hop plus the parse and
 * serialisation any gateway that remodels the answer must do). Run as its own process (argv:
 * upstream URL, region id); prints its URL.
 */
const [upstreamUrl, regionId] = process.argv.slice(2) as [string, string]
const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 })
const upper = <T extends string>(value: T) => value.toUpperCase()

function mapImage(image: UpstreamImage) {
  const { metadata, spec } = image
  const tags = metadata.tags ?? []
  const owner = tags.find((tag) => tag.name === OWNER_ORGANIZATION_TAG)?.value ?? null
  const source = owner ? tags.find((tag) => tag.name === SOURCE_TAG)?.value : undefined
  return {
    id: Buffer.from(`Image:${regionId}:${owner ?? ''}:${metadata.id}`).toString('base64url'),
    imageId: metadata.id,
    regionId,
    name: metadata.name,
    description: metadata.description ?? null,
    tags,
    createdAt: metadata.creationTime,
    createdBy: metadata.createdBy ?? null,
    modifiedAt: metadata.modifiedTime ?? null,
    modifiedBy: metadata.modifiedBy ?? null,
    architecture: upper(spec.architecture),
    sizeGiB: spec.sizeGiB,
    virtualization: upper(spec.virtualization),
    state: upper(image.status.state),
    ownerOrganizationId: owner,
    source: source ? upper(source) : null,
    os: {
      kernel: spec.os.kernel,
      family: spec.os.family,
      distro: spec.os.distro,
      variant: spec.os.variant ?? null,
      codename: spec.os.codename ?? null,
      version: spec.os.version,
    },
    softwareVersions: Object.entries(spec.softwareVersions ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, version]) => ({ name, version })),
    gpu: spec.gpu
      ? { vendor: spec.gpu.vendor, driver: spec.gpu.driver, models: spec.gpu.models ?? [] }
      : null,
  }
}

const server = createServer(async (req, res) => {
  for await (const _ of req) {
    // The question is fixed; the body is read and dropped.
  }
  const upstream = await request(`${upstreamUrl}/api/v2/regions/${regionId}/images`, {
    dispatcher,
    headers: { authorization: req.headers.authorization ?? '' },
  })
  if (req.url === '/bytes') {
    const bytes = Buffer.from(await upstream.body.arrayBuffer())
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length })
    res.end(bytes)
    return
  }
  const images = (await upstream.body.json()) as UpstreamImage[]
  const data = req.url === '/parse' ? images : { region: { images: { nodes: images.map(mapImage) } } }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify({ data }))
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  )
})
