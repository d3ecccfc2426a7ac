import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model, componentsFor } from '../static/js/diagrams/architecture.js'
import { createStore } from '../static/js/store.js'
import { snapshot, events } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }
const ev = r => events.find(e => e.reason === r)

test('events point at the component that did the work', () => {
  const nodeOf = (ns, name) => name === 'webapp-7f9c8d6b5-x2x4k' ? 'ip-10-0-1-10.ec2.internal' : ''
  assert.deepEqual(componentsFor(ev('Scheduled'), nodeOf), ['sched'])
  assert.deepEqual(componentsFor(ev('FailedScheduling'), nodeOf), ['sched'])
  assert.deepEqual(componentsFor(ev('SuccessfulCreate'), nodeOf), ['cm'])
  assert.deepEqual(componentsFor(ev('ScalingReplicaSet'), nodeOf), ['cm'])
  assert.deepEqual(componentsFor(ev('Pulled'), nodeOf), ['kubelet:ip-10-0-1-10.ec2.internal', 'runtime:ip-10-0-1-10.ec2.internal'])
  assert.deepEqual(componentsFor({ reason: 'Started', involved: { kind: 'Pod', name: 'x' } }), ['kubelet:*', 'runtime:*'])
  assert.deepEqual(componentsFor({ reason: 'EnsuringLoadBalancer', source: 'service-controller' }), ['ccm'])
  assert.deepEqual(componentsFor({ reason: 'Whatever' }), [])
})

test('static layout: control plane, and each node with kubelet, kube-proxy and runtime', () => {
  const m = model(state(), { lang: 'en', now: 0 })
  assert.deepEqual(m.control.map(c => c.id), ['kubectl', 'api', 'etcd', 'sched', 'cm', 'ccm'])
  assert.deepEqual(m.control.map(c => c.label), ['kubectl (you)', 'API server', 'etcd', 'scheduler', 'controller manager', 'cloud controller'])
  assert.equal(m.nodes.length, 3)
  assert.deepEqual(m.nodes[0].parts.map(p => p.label), ['kubelet', 'kube-proxy', 'container runtime'])
  assert.deepEqual(m.lit, {})
  for (const b of [...m.control, ...m.nodes.flatMap(n => n.parts)]) assert.ok(b.x >= 0 && b.x + b.w <= m.w && b.y + b.h <= m.h, b.id)
  const none = model({}, { lang: 'ko' })
  assert.equal(none.nodes.length, 1, 'a placeholder node')
  assert.equal(none.control[1].label, 'API 서버')
})

test('recent events light components for a short while', () => {
  const now = 100000
  const recent = [
    { at: now - 500, event: ev('Scheduled') },
    { at: now - 400, event: ev('Pulled') },
    { at: now - 300, component: 'api' },
    { at: now - 200, component: 'proxy' },
    { at: now - 9000, event: ev('SuccessfulCreate') }
  ]
  const m = model(state(), { lang: 'en', now, recent })
  const lit = m.control.filter(c => c.lit).map(c => c.id)
  assert.deepEqual(lit, ['api', 'sched'])
  assert.equal(m.control.find(c => c.id === 'sched').caption, 'Scheduled: webapp-7f9c8d6b5-x2x4k')
  const a = m.nodes.find(n => n.name === 'ip-10-0-1-10.ec2.internal')
  assert.deepEqual(a.parts.map(p => p.lit), [true, true, true])
  const b = m.nodes.find(n => n.name === 'ip-10-0-2-10.ec2.internal')
  assert.deepEqual(b.parts.map(p => p.lit), [false, true, false], 'kube-proxy everywhere on endpoint changes')
})
