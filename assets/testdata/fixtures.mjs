// Realistic normalized objects as docs/stream.md describes them: a simulated EKS cluster with
// 3 nodes in 2 zones, a Deployment mid-rollout (2 ReplicaSets), a Service with an EndpointSlice,
// Pending pods with scheduler reasons, and Events.

const Gi = 1024 ** 3; const Mi = 1024 ** 2
const node = (name, zone, type, ip, extra = {}) => ({
  kind: 'Node', name, uid: 'uid-' + name, rv: '100', labels: { 'topology.kubernetes.io/zone': zone },
  zone, region: 'us-east-1', instanceType: type, ready: true, allocatable: { cpu: 4000, memory: 16 * Gi, pods: 110 },
  podCIDR: '10.244.0.0/24', ip, created: '2026-11-26T09:59:00Z', ...extra
})
const pod = (name, extra = {}) => ({
  kind: 'Pod', namespace: 'default', name, uid: 'uid-' + name, rv: '200', phase: 'Running', status: 'Running', ready: true,
  readyCount: 1, containerCount: 1, restarts: 0, requests: { cpu: 250, memory: 256 * Mi }, images: ['nginx:1.25.1'],
  created: '2026-11-26T10:00:00Z', ...extra
})
const rsRef = (name) => ({ kind: 'ReplicaSet', name, uid: 'uid-' + name })
const dep = { kind: 'Deployment', name: 'webapp', uid: 'uid-webapp' }

export const nodes = [
  node('ip-10-0-2-10.ec2.internal', 'us-east-1b', 'r4.xlarge', '10.0.2.10'),
  node('ip-10-0-1-10.ec2.internal', 'us-east-1a', 'm5.large', '10.0.1.10'),
  node('ip-10-0-1-20.ec2.internal', 'us-east-1a', 'r4.large', '10.0.1.20', { taints: [{ key: 'spot', value: 'true', effect: 'NoSchedule' }] })
]
const [nB, nA] = nodes.map(n => n.name)

export const deployment = {
  kind: 'Deployment', namespace: 'default', name: 'webapp', uid: 'uid-webapp', rv: '340', labels: { app: 'webapp' },
  replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3, revision: '2', selector: { app: 'webapp' },
  images: ['nginx:1.25.2'], maxSurge: '25%', maxUnavailable: '25%', created: '2026-11-26T10:00:00Z'
}
export const otherDeployment = {
  kind: 'Deployment', namespace: 'default', name: 'backend', uid: 'uid-backend-dep', rv: '150', replicas: 3, readyReplicas: 2,
  revision: '1', selector: { app: 'backend' }, images: ['nginx:1.25.1'], created: '2026-11-26T09:59:30Z'
}
export const replicaSets = [
  { kind: 'ReplicaSet', namespace: 'default', name: 'webapp-6d8f7c9b4', uid: 'uid-webapp-6d8f7c9b4', rv: '330', owner: dep, labels: { app: 'webapp', 'pod-template-hash': '6d8f7c9b4' }, replicas: 1, readyReplicas: 1, revision: '1', hash: '6d8f7c9b4', selector: { app: 'webapp' }, images: ['nginx:1.25.1'], created: '2026-11-26T10:00:00Z' },
  { kind: 'ReplicaSet', namespace: 'default', name: 'webapp-7f9c8d6b5', uid: 'uid-webapp-7f9c8d6b5', rv: '335', owner: dep, labels: { app: 'webapp', 'pod-template-hash': '7f9c8d6b5' }, replicas: 3, readyReplicas: 2, revision: '2', hash: '7f9c8d6b5', selector: { app: 'webapp' }, images: ['nginx:1.25.2'], created: '2026-11-26T10:05:00Z' }
]
export const webappPods = [
  pod('webapp-6d8f7c9b4-aaaaa', { owner: rsRef('webapp-6d8f7c9b4'), labels: { app: 'webapp', 'pod-template-hash': '6d8f7c9b4' }, node: nA, ip: '10.244.1.5', hash: '6d8f7c9b4' }),
  pod('webapp-7f9c8d6b5-x2x4k', { owner: rsRef('webapp-7f9c8d6b5'), labels: { app: 'webapp', 'pod-template-hash': '7f9c8d6b5' }, node: nA, ip: '10.244.1.6', hash: '7f9c8d6b5', created: '2026-11-26T10:05:01Z' }),
  pod('webapp-7f9c8d6b5-b7k2p', { owner: rsRef('webapp-7f9c8d6b5'), labels: { app: 'webapp', 'pod-template-hash': '7f9c8d6b5' }, node: nB, ip: '10.244.2.7', hash: '7f9c8d6b5', created: '2026-11-26T10:05:02Z' }),
  pod('webapp-7f9c8d6b5-q9z8w', { owner: rsRef('webapp-7f9c8d6b5'), labels: { app: 'webapp', 'pod-template-hash': '7f9c8d6b5' }, node: nB, status: 'ContainerCreating', phase: 'Pending', ready: false, readyCount: 0, hash: '7f9c8d6b5', created: '2026-11-26T10:05:03Z' })
]
export const backendPods = [
  pod('backend-5c7d9-aaa11', { labels: { app: 'backend' }, node: nA, ip: '10.244.1.20', owner: { kind: 'ReplicaSet', name: 'backend-5c7d9', uid: 'uid-backend-5c7d9' } }),
  pod('backend-5c7d9-bbb22', { labels: { app: 'backend' }, node: nB, ip: '10.244.2.21', owner: { kind: 'ReplicaSet', name: 'backend-5c7d9', uid: 'uid-backend-5c7d9' } }),
  pod('backend-5c7d9-ccc33', { labels: { app: 'backend' }, node: nB, ip: '10.244.2.22', ready: false, readyCount: 0, owner: { kind: 'ReplicaSet', name: 'backend-5c7d9', uid: 'uid-backend-5c7d9' } })
]
export const backendRS = { kind: 'ReplicaSet', namespace: 'default', name: 'backend-5c7d9', uid: 'uid-backend-5c7d9', rv: '140', owner: { kind: 'Deployment', name: 'backend', uid: 'uid-backend-dep' }, replicas: 3, readyReplicas: 2, revision: '1', created: '2026-11-26T09:59:30Z' }
export const services = [
  { kind: 'Service', namespace: 'default', name: 'kubernetes', uid: 'uid-svc-k', rv: '10', type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ port: 443, targetPort: 6443, protocol: 'TCP' }] },
  { kind: 'Service', namespace: 'default', name: 'backend', uid: 'uid-svc-b', rv: '160', type: 'ClusterIP', clusterIP: '10.96.12.34', selector: { app: 'backend' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] }
]
export const endpointSlice = {
  kind: 'EndpointSlice', namespace: 'default', name: 'backend-x7k2f', uid: 'uid-eps-b', rv: '170', labels: { 'kubernetes.io/service-name': 'backend' },
  owner: { kind: 'Service', name: 'backend', uid: 'uid-svc-b' }, service: 'backend',
  endpoints: [
    { ip: '10.244.1.20', ready: true, pod: 'backend-5c7d9-aaa11', node: nA },
    { ip: '10.244.2.21', ready: true, pod: 'backend-5c7d9-bbb22', node: nB },
    { ip: '10.244.2.22', ready: false, pod: 'backend-5c7d9-ccc33', node: nB }
  ]
}
export const TAINT_CPU = '0/3 nodes are available: 1 node(s) had untolerated taint {spot: true}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.'
export const pendingPods = [
  pod('big-pod', { status: 'Pending', phase: 'Pending', ready: false, readyCount: 0, requests: { cpu: 5000, memory: Gi }, reason: TAINT_CPU, created: '2026-11-26T10:06:00Z' }),
  pod('affinity-pod', { namespace: 'default', status: 'Pending', phase: 'Pending', ready: false, readyCount: 0, reason: '0/3 nodes are available: 3 node(s) didn\'t match Pod\'s node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.', created: '2026-11-26T10:05:30Z' })
]
export const otherPods = [
  pod('bad-image', { status: 'InvalidImageName', phase: 'Pending', ready: false, readyCount: 0, node: nB, images: ['Nginx:latest'] }),
  pod('pi-job-zx9k2', { status: 'Completed', phase: 'Succeeded', ready: false, readyCount: 0, node: nA, owner: { kind: 'Job', name: 'pi', uid: 'uid-job-pi' } }),
  pod('coredns-abc', { namespace: 'kube-system', node: nA, ip: '10.244.1.2', requests: { cpu: 100, memory: 70 * Mi } })
]
const ev = (name, reason, involved, message, extra = {}) => ({
  kind: 'Event', namespace: 'default', name, uid: 'uid-' + name, rv: '400', reason, message, eventType: 'Normal',
  involved: { namespace: 'default', uid: 'uid-' + involved.name, ...involved }, count: 1, ...extra
})
export const events = [
  ev('webapp.1', 'ScalingReplicaSet', { kind: 'Deployment', name: 'webapp' }, 'Scaled up replica set webapp-7f9c8d6b5 to 3 from 2', { source: 'deployment-controller', last: '2026-11-26T10:05:00Z' }),
  ev('rs.1', 'SuccessfulCreate', { kind: 'ReplicaSet', name: 'webapp-7f9c8d6b5' }, 'Created pod: webapp-7f9c8d6b5-x2x4k', { source: 'replicaset-controller', last: '2026-11-26T10:05:01Z' }),
  ev('rs.2', 'SuccessfulCreate', { kind: 'ReplicaSet', name: 'webapp-7f9c8d6b5' }, 'Created pod: webapp-7f9c8d6b5-gone1', { source: 'replicaset-controller', last: '2026-11-26T10:04:00Z' }),
  ev('x2x4k.1', 'Scheduled', { kind: 'Pod', name: 'webapp-7f9c8d6b5-x2x4k' }, `Successfully assigned default/webapp-7f9c8d6b5-x2x4k to ${nA}`, { source: 'default-scheduler', last: '2026-11-26T10:05:01Z' }),
  ev('x2x4k.2', 'Pulled', { kind: 'Pod', name: 'webapp-7f9c8d6b5-x2x4k' }, 'Container image "nginx:1.25.2" already present on machine', { source: 'kubelet', last: '2026-11-26T10:05:02Z' }),
  ev('big.1', 'FailedScheduling', { kind: 'Pod', name: 'big-pod' }, TAINT_CPU, { source: 'default-scheduler', eventType: 'Warning', last: '2026-11-26T10:06:00Z' })
]

// SchedulingDecision: the sandbox scheduler's record of its last attempt (sandbox/schedrecord).
export const FILTERS = ['NodeName', 'NodeUnschedulable', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeRestrictions',
  'NodeVolumeLimits', 'VolumeBinding', 'VolumeZone', 'PodTopologySpread', 'InterPodAffinity', 'DynamicResources', 'NodeDeclaredFeatures']
export const SCORERS = [['TaintToleration', 3], ['NodeAffinity', 2], ['NodeResourcesFit', 1], ['VolumeBinding', 1], ['PodTopologySpread', 2],
  ['InterPodAffinity', 2], ['DynamicResources', 2], ['NodeResourcesBalancedAllocation', 1], ['ImageLocality', 1]].map(([plugin, weight]) => ({ plugin, weight }))
const skipped = new Set(['NodeAffinity', 'NodePorts', 'VolumeRestrictions', 'VolumeBinding', 'VolumeZone', 'InterPodAffinity', 'DynamicResources'])
const upTo = (rejector, reason) => {
  const out = []
  for (const p of FILTERS) {
    if (p === rejector) { out.push({ plugin: p, passed: false, reason }); return out }
    out.push(skipped.has(p) ? { plugin: p, passed: true, skipped: true } : { plugin: p, passed: true })
  }
  return out
}
const decision = (pod, d) => ({
  kind: 'SchedulingDecision', namespace: 'default', name: pod, uid: 'uid-sd-' + pod, rv: '500', created: '2026-11-26T10:06:00Z',
  decision: { pod, namespace: 'default', uid: 'uid-' + pod, time: '2026-11-26T10:06:00.123Z', filterPlugins: FILTERS, scorePlugins: SCORERS, ...d }
})
const nC = 'ip-10-0-1-20.ec2.internal'
export const decisions = [
  decision('big-pod', {
    node: '', scored: false,
    nodes: [
      { name: nA, zone: 'us-east-1a', feasible: false, filters: upTo('NodeResourcesFit', 'Insufficient cpu') },
      { name: nC, zone: 'us-east-1a', feasible: false, filters: upTo('TaintToleration', 'node(s) had untolerated taint {spot: true}') },
      { name: nB, zone: 'us-east-1b', feasible: false, filters: upTo('NodeResourcesFit', 'Insufficient cpu') }
    ],
    suggestions: [
      { plugin: 'NodeResourcesFit', nodes: [nB], target: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'big-pod' },
        patch: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '3750m' } } }] } },
        text: { ko: '컨테이너 app의 cpu 요청을 5에서 3750m(으)로 낮추세요.', en: 'Lower container app\'s cpu request from 5 to 3750m.' } }
    ]
  }),
  decision('webapp-7f9c8d6b5-x2x4k', {
    node: nA, scored: true,
    nodes: [
      { name: nA, zone: 'us-east-1a', feasible: true, rank: 1, total: 592, filters: upTo(''), scores: [{ plugin: 'TaintToleration', raw: 0, score: 100, weight: 3 }, { plugin: 'NodeResourcesFit', raw: 92, score: 92, weight: 1 }, { plugin: 'PodTopologySpread', raw: 3, score: 100, weight: 2 }] },
      { name: nB, zone: 'us-east-1b', feasible: true, rank: 2, total: 522, filters: upTo(''), scores: [{ plugin: 'TaintToleration', raw: 0, score: 100, weight: 3 }, { plugin: 'NodeResourcesFit', raw: 90, score: 90, weight: 1 }, { plugin: 'PodTopologySpread', raw: 6, score: 66, weight: 2 }] },
      { name: nC, zone: 'us-east-1a', feasible: false, filters: upTo('TaintToleration', 'node(s) had untolerated taint {spot: true}') }
    ]
  })
]

/** all returns every fixture object (fresh copies). */
export const all = () => structuredClone([
  ...nodes, deployment, otherDeployment, ...replicaSets, backendRS, ...webappPods, ...backendPods, ...services,
  endpointSlice, ...pendingPods, ...otherPods, ...events, ...decisions,
  { kind: 'Namespace', name: 'default', uid: 'uid-ns-default', rv: '5', phase: 'Active' }
])

/** snapshot returns a snapshot message with every fixture object. */
export const snapshot = (seq = 41) => ({ type: 'snapshot', seq, objects: all() })
