// The objects the browser tests draw, as the server's stream sends them: the Go side writes them to
// watch/testdata/*.json by normalizing the API objects of watch/testdata/*.yaml (TestGolden in
// watch/golden_test.go; `go test ./watch/ -run TestGolden -update` rewrites them). A simulated EKS
// cluster: 3 nodes in 2 zones, a Deployment mid-rollout (2 ReplicaSets), a Service with an
// EndpointSlice, Pending pods with scheduler reasons, Events and the scheduler's records.
// more.json holds kinds and states this cluster does not (a cordoned node, a terminating pod...).

import { readFileSync } from 'node:fs'

const load = name => JSON.parse(readFileSync(new URL(`../../watch/testdata/${name}.json`, import.meta.url), 'utf8'))
const golden = Object.fromEntries(['nodes', 'namespaces', 'workloads', 'pods', 'services', 'events', 'decisions', 'more'].map(n => [n, load(n)]))

/** named picks the objects of one golden file by kind and name, in the order given; a missing one throws. */
const named = (file, kind, ...names) => names.map(name => {
  const o = golden[file].find(x => x.kind === kind && x.name === name)
  if (!o) throw new Error(`watch/testdata/${file}.json has no ${kind} ${name}`)
  return o
})

export const nodes = named('nodes', 'Node', 'ip-10-0-2-10.ec2.internal', 'ip-10-0-1-10.ec2.internal', 'ip-10-0-1-20.ec2.internal')
export const [deployment, otherDeployment] = named('workloads', 'Deployment', 'webapp', 'backend')
export const replicaSets = named('workloads', 'ReplicaSet', 'webapp-6d8f7c9b4', 'webapp-7f9c8d6b5')
export const [backendRS] = named('workloads', 'ReplicaSet', 'backend-5c7d9')
export const webappPods = named('pods', 'Pod', 'webapp-6d8f7c9b4-aaaaa', 'webapp-7f9c8d6b5-x2x4k', 'webapp-7f9c8d6b5-b7k2p', 'webapp-7f9c8d6b5-q9z8w')
export const backendPods = named('pods', 'Pod', 'backend-5c7d9-aaa11', 'backend-5c7d9-bbb22', 'backend-5c7d9-ccc33')
export const pendingPods = named('pods', 'Pod', 'big-pod', 'affinity-pod')
export const otherPods = named('pods', 'Pod', 'bad-image', 'pi-job-zx9k2', 'coredns-abc')
export const services = named('services', 'Service', 'kubernetes', 'backend')
export const [endpointSlice] = named('services', 'EndpointSlice', 'backend-x7k2f')
export const events = golden.events
export const decisions = golden.decisions
export const [namespace] = named('namespaces', 'Namespace', 'default')
/** TAINT_CPU is big-pod's reason: the scheduler's message for a pod no node can take. */
export const TAINT_CPU = pendingPods[0].reason
// The sandbox scheduler's plugins, in the order its record lists them.
export const FILTERS = decisions[0].decision.filterPlugins
export const SCORERS = decisions[0].decision.scorePlugins
/** more returns the objects of kinds and states the cluster above does not hold (fresh copies). */
export const more = () => structuredClone(golden.more)

/** all returns every object of the cluster (fresh copies). */
export const all = () => structuredClone([
  ...nodes, deployment, otherDeployment, ...replicaSets, backendRS, ...webappPods, ...backendPods, ...services,
  endpointSlice, ...pendingPods, ...otherPods, ...events, ...decisions, namespace
])

/** snapshot returns a snapshot message with every object of the cluster. */
export const snapshot = (seq = 41) => ({ type: 'snapshot', seq, objects: all() })
