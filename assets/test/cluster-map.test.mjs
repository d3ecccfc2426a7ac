import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model } from '../static/js/diagrams/cluster-map.js'
import { createStore } from '../static/js/store.js'
import { snapshot, all, more } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('zones become sorted columns, nodes go to their zone', () => {
  const m = model(state(), { lang: 'en' })
  assert.deepEqual(m.zones.map(z => z.name), ['us-east-1a', 'us-east-1b'])
  assert.deepEqual(m.nodes.map(n => [n.name, n.zone]), [
    ['ip-10-0-1-10.ec2.internal', 'us-east-1a'], ['ip-10-0-1-20.ec2.internal', 'us-east-1a'], ['ip-10-0-2-10.ec2.internal', 'us-east-1b']])
  const [a1, a2, b] = m.nodes
  assert.equal(a1.x, a2.x); assert.ok(b.x > a1.x)
  assert.ok(a2.y > a1.y + a1.h - 1, 'nodes of a zone are stacked')
  assert.equal(a1.instanceType, 'm5.large')
  assert.deepEqual(a2.taints, ['spot=true:NoSchedule'])
  assert.ok(m.w === 720 && m.h > b.y + b.h)
})

test('capacity bars sum the requests of live pods (all namespaces) against allocatable', () => {
  const m = model(state(), { lang: 'en' })
  const a1 = m.nodes[0]
  // webapp aaaaa + x2x4k + backend aaa11 (250m each) + coredns 100m; the Completed job pod does not count
  const [cpu, memory, pods] = a1.bars
  assert.equal(cpu.used, 850); assert.equal(cpu.cap, 4000)
  assert.equal(cpu.text, '850m / 4000m')
  assert.equal(memory.label, 'Memory')
  assert.equal(memory.text, '838Mi / 16Gi')
  assert.equal(pods.used, 4); assert.equal(pods.text, '4 / 110')
  assert.ok(Math.abs(cpu.frac - 850 / 4000) < 1e-9)
})

test('pods are chips with tone by status; kube-system hidden unless asked', () => {
  const m = model(state(), { lang: 'en' })
  const by = Object.fromEntries(m.chips.map(c => [c.name, c]))
  assert.equal(by['webapp-7f9c8d6b5-x2x4k'].tone, 'ok')
  assert.equal(by['webapp-7f9c8d6b5-x2x4k'].ip, '10.244.1.6')
  assert.equal(by['webapp-7f9c8d6b5-q9z8w'].tone, 'wait')
  assert.equal(by['backend-5c7d9-ccc33'].tone, 'wait', 'running but not ready')
  assert.equal(by['bad-image'].tone, 'err')
  assert.equal(by['pi-job-zx9k2'].tone, 'done')
  assert.equal(by['coredns-abc'], undefined)
  assert.ok(model(state(), { system: true }).chips.some(c => c.name === 'coredns-abc'))
  assert.deepEqual(model(state(), { namespace: 'kube-system' }).chips.map(c => c.name), ['coredns-abc'])
  // chips sit inside their node's box
  const node = m.nodes.find(n => n.name === 'ip-10-0-2-10.ec2.internal')
  const c = by['webapp-7f9c8d6b5-b7k2p']
  assert.ok(c.x >= node.x && c.x + c.w <= node.x + node.w && c.y >= node.y && c.y + c.h <= node.y + node.h)
  assert.equal(m.counts.nodes, 3)
})

test('unscheduled Pending pods wait in the queue with the scheduler reason; terminating pods fade', () => {
  const objs = all()
  objs.find(o => o.name === 'webapp-6d8f7c9b4-aaaaa').deleting = true
  const m = model({ Node: objs.filter(o => o.kind === 'Node'), Pod: objs.filter(o => o.kind === 'Pod') }, { lang: 'ko' })
  assert.deepEqual(m.queue.map(q => m.chips.find(c => c.key === q.key).name).sort(), ['affinity-pod', 'big-pod'])
  assert.match(m.queue.find(q => q.reason.includes('spot')).reason, /untolerated taint/)
  assert.ok(m.queue.every(q => q.y < m.nodes[0].y), 'queue above the zones')
  const gone = m.chips.find(c => c.name === 'webapp-6d8f7c9b4-aaaaa')
  assert.equal(gone.tone, 'gone'); assert.equal(gone.status, 'Terminating')
})

test('no nodes, a pod on an unknown node, nodes without zone', () => {
  assert.equal(model({}, {}).nodes.length, 0)
  const m = model({ Node: [{ kind: 'Node', name: 'n1', allocatable: { cpu: 1000 } }], Pod: [{ kind: 'Pod', namespace: 'a', name: 'p', node: 'ghost', status: 'Running' }] }, { lang: 'en' })
  assert.deepEqual(m.nodes.map(n => [n.name, n.missing]), [['n1', false], ['ghost', true]])
  assert.equal(m.zones[0].name, 'no zone')
})

test('the stream\'s other states: a cordoned unreachable node; terminating, initializing, crash-looping and failed pods', () => {
  const objs = [...all(), ...more()]
  const m = model({ Node: objs.filter(o => o.kind === 'Node'), Pod: objs.filter(o => o.kind === 'Pod') }, { lang: 'en' })
  assert.deepEqual(m.zones.map(z => z.name), ['us-east-1a', 'us-east-1b', 'us-east-1c'])
  const down = m.nodes.find(n => n.zone === 'us-east-1c')
  assert.deepEqual([down.ready, down.unschedulable], [false, true])
  assert.deepEqual(down.taints, ['node.kubernetes.io/unschedulable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute'], 'taints without a value')
  const by = Object.fromEntries(m.chips.map(c => [c.name, [c.tone, c.status]]))
  assert.deepEqual(by['webapp-6d8f7c9b4-old01'], ['gone', 'Terminating'])
  assert.deepEqual(by['db-0'], ['wait', 'Init:0/2'])
  assert.deepEqual(by['crashy-6b7c8-d9f0g'], ['err', 'CrashLoopBackOff'])
  assert.deepEqual(by['report-28917360-k2l3m'], ['err', 'OOMKilled'])
  // the initializing pod's 550m count on its node; the terminating one's do not
  assert.equal(m.nodes.find(n => n.name === 'ip-10-0-1-10.ec2.internal').bars[0].used, 850 + 550)
})
