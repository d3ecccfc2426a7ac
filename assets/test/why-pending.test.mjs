import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model, parseReason, classify } from '../static/js/diagrams/why-pending.js'
import { createStore } from '../static/js/store.js'
import { snapshot, TAINT_CPU } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('parseReason: counts per category, preemption part dropped', () => {
  const r = parseReason(TAINT_CPU)
  assert.deepEqual([r.available, r.total], [0, 3])
  assert.deepEqual(r.items.map(i => [i.count, i.category, i.detail]), [[1, 'taint', 'spot=true'], [2, 'cpu', undefined]])
  assert.deepEqual(r.items[0].key, 'spot')
  const r2 = parseReason('0/5 nodes are available: 1 Insufficient memory, 1 Too many pods, 1 node(s) didn\'t match Pod\'s node affinity/selector, 1 node(s) had volume node affinity conflict, 1 node(s) were unschedulable.')
  assert.deepEqual(r2.items.map(i => i.category), ['memory', 'pods', 'nodeAffinity', 'volumeZone', 'unschedulable'])
  // the older taint wording has a comma inside one reason
  const r3 = parseReason('0/2 nodes are available: 2 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn\'t tolerate.')
  assert.deepEqual(r3.items.map(i => [i.count, i.category, i.detail]), [[2, 'taint', 'node-role.kubernetes.io/master']])
  assert.equal(parseReason('0/3 nodes are available: 3 node(s) had untolerated taint {node.kubernetes.io/unschedulable: }.').items[0].category, 'unschedulable')
  assert.equal(parseReason('no nodes available to schedule pods').items[0].category, 'noNodes')
  assert.equal(parseReason('0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.').items[0].category, 'pvc')
  assert.equal(parseReason('').items.length, 0)
  assert.equal(classify('1 node(s) didn\'t match pod anti-affinity rules').category, 'antiAffinity')
  assert.equal(classify('Insufficient nvidia.com/gpu').category, 'other')
})

test('the newest Pending pod with a reason, told in plain English and Korean', () => {
  const en = model(state(), { lang: 'en' })
  assert.equal(en.pod.name, 'big-pod')
  assert.deepEqual(en.pods.map(p => p.name), ['big-pod', 'affinity-pod'])
  assert.equal(en.text, 'Nodes that can take this pod: 0 of 3')
  assert.deepEqual(en.reasons.map(r => r.text), [
    '1 node(s) have a taint spot=true that the pod does not tolerate.',
    '2 node(s) lack the free CPU the pod requests.'])
  const ko = model(state(), { lang: 'ko' })
  assert.match(ko.reasons[0].text, /taint spot=true/)
  assert.match(ko.reasons[1].text, /CPU/)
})

test('each node gets its likely reason and is greyed out', () => {
  const m = model(state(), { lang: 'en' })
  const by = Object.fromEntries(m.nodes.map(n => [n.name, n]))
  assert.deepEqual(by['ip-10-0-1-20.ec2.internal'].why[0], 'taint spot=true')
  assert.match(by['ip-10-0-1-10.ec2.internal'].why[0], /not enough CPU \(free 3150m, asks 5000m\)/)
  assert.ok(m.nodes.every(n => n.blocked))
})

test('a reason the node data cannot explain: a best guess per node', () => {
  const m = model(state(), { lang: 'en', name: 'affinity-pod' })
  assert.equal(m.reasons[0].category, 'nodeAffinity')
  assert.ok(m.nodes.every(n => n.blocked && n.why.at(-1) === 'probably: node affinity'))
  const s = state()
  s.apply({ type: 'upsert', seq: 42, obj: { kind: 'Pod', namespace: 'default', name: 'some', phase: 'Pending', status: 'Pending', reason: '1/3 nodes are available: 2 Insufficient memory.', requests: { memory: 15.5 * 2 ** 30 }, created: '2026-11-26T11:00:00Z' } })
  const m2 = model(s, { lang: 'en', name: 'some' })
  assert.deepEqual(m2.nodes.filter(n => n.blocked).map(n => n.name), ['ip-10-0-1-10.ec2.internal', 'ip-10-0-2-10.ec2.internal'])
  assert.match(m2.nodes[0].why[0], /not enough memory \(free 15.2Gi, asks 15.5Gi\)/)
  assert.deepEqual(m2.nodes[1].why, ['could take it'], 'the spot node has room (its taint is not the problem here)')
})

test('nothing Pending', () => {
  const m = model({ Pod: [] }, { lang: 'en' })
  assert.equal(m.pod, null)
  assert.equal(m.text, 'No pod is Pending for the scheduler.')
})
