import autocannon from 'autocannon'
import { readFileSync } from 'node:fs'
const [url, seconds, conns, pid] = process.argv.slice(2)
const q = process.env.Q ?? `query Single { region(id: "bbbbbbbb-0000-4000-8000-000000000001") { images(first: 200) { nodes { id imageId regionId name description tags { name value } createdAt createdBy modifiedAt modifiedBy architecture sizeGiB virtualization state ownerOrganizationId source os { kernel family distro variant codename version } softwareVersions { name version } gpu { vendor driver models } } } } }`
let seq = 0
const direct = url.includes('/api/')
const cpu = () => { if (!pid) return 0; const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10 }
const c0 = cpu()
const r = await autocannon({ url, connections: Number(conns ?? 10), duration: Number(seconds), method: direct ? 'GET' : 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
  ...(direct ? {} : { body: JSON.stringify({ query: q }) }),
  requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer t-${++seq}` } }) }] })
const c1 = cpu()
console.log(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, cpuMsPerReq: pid ? +((c1 - c0) / r.requests.total).toFixed(2) : undefined }))
