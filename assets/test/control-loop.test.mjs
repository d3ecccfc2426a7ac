import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model } from '../static/js/diagrams/control-loop.js'
import { createStore } from '../static/js/store.js'
import { snapshot, all } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('without options it follows the most recently changed Deployment, through ReplicaSets to pods', () => {
  const m = model(state(), { lang: 'en' })
  assert.deepEqual(m.target, { kind: 'Deployment', name: 'webapp', namespace: 'default' })
  assert.equal(m.desired, 3)
  // mid-rollout: 1 old + 3 new pods live, 3 of them ready
  assert.equal(m.current, 4)
  assert.equal(m.ready, 3)
  assert.equal(m.diff, -1)
  assert.equal(m.phase, 'less')
  assert.equal(m.inSync, false)
  assert.equal(m.rows.desired.length, 3)
  assert.deepEqual(m.rows.current.map(c => c.name), ['webapp-6d8f7c9b4-aaaaa', 'webapp-7f9c8d6b5-x2x4k', 'webapp-7f9c8d6b5-b7k2p', 'webapp-7f9c8d6b5-q9z8w'])
  assert.ok(m.rows.y2 > m.rows.y1)
})

test('a chosen ReplicaSet: right count, one pod not ready yet', () => {
  const m = model(state(), { kind: 'ReplicaSet', name: 'webapp-7f9c8d6b5' })
  assert.equal(m.target.kind, 'ReplicaSet')
  assert.deepEqual([m.desired, m.current, m.ready, m.phase], [3, 3, 2, 'wait'])
})

test('a deleted pod: the controller is short; once replaced and ready: in sync', () => {
  const objs = all().filter(o => !o.name.startsWith('webapp-6d8f7c9b4-') && o.name !== 'webapp-7f9c8d6b5-q9z8w')
  const st = kind => objs.filter(o => o.kind === kind)
  const s = { Deployment: st('Deployment'), ReplicaSet: st('ReplicaSet'), Pod: st('Pod') }
  let m = model(s, { name: 'webapp' })
  assert.deepEqual([m.desired, m.current, m.ready, m.diff, m.phase], [3, 2, 2, 1, 'more'])
  s.Pod = [...s.Pod, { kind: 'Pod', namespace: 'default', name: 'webapp-7f9c8d6b5-new01', uid: 'n1', owner: { kind: 'ReplicaSet', name: 'webapp-7f9c8d6b5', uid: 'uid-webapp-7f9c8d6b5' }, status: 'Running', phase: 'Running', ready: true }]
  m = model(s, { name: 'webapp' })
  assert.equal(m.inSync, true)
  assert.equal(m.phase, 'sync')
  // a terminating pod is drawn (fading) but not counted
  s.Pod = [...s.Pod, { kind: 'Pod', namespace: 'default', name: 'webapp-7f9c8d6b5-old99', uid: 'o9', owner: { kind: 'ReplicaSet', name: 'webapp-7f9c8d6b5', uid: 'uid-webapp-7f9c8d6b5' }, status: 'Running', ready: true, deleting: true }]
  m = model(s, { name: 'webapp' })
  assert.equal(m.inSync, true)
  assert.equal(m.rows.current.find(c => c.name.endsWith('old99')).tone, 'gone')
})

test('nothing to show; owner references without uids still match by kind and name', () => {
  assert.equal(model({}, {}).target, null)
  const s = {
    ReplicaSet: [{ kind: 'ReplicaSet', namespace: 'x', name: 'rs', replicas: 2 }],
    Pod: [{ kind: 'Pod', namespace: 'x', name: 'rs-a', owner: { kind: 'ReplicaSet', name: 'rs' }, status: 'Running', ready: true },
      { kind: 'Pod', namespace: 'y', name: 'rs-b', owner: { kind: 'ReplicaSet', name: 'rs' }, status: 'Running', ready: true }]
  }
  const m = model(s, {})
  assert.equal(m.target.kind, 'ReplicaSet', 'falls back to a ReplicaSet when there is no Deployment')
  assert.deepEqual([m.current, m.ready, m.phase], [1, 1, 'more'], 'other namespaces do not count')
})

test('the learner\'s own Deployment wins over a system add-on that changed later (coredns in kube-system)', () => {
  const objs = all()
  const deps = objs.filter(o => o.kind === 'Deployment')
  const coredns = { ...deps[0], namespace: 'kube-system', name: 'coredns', uid: 'uid-coredns', rv: '99999999', created: '2099-01-01T00:00:00Z' }
  const st = kind => objs.filter(o => o.kind === kind)
  const s = { Deployment: [...deps, coredns], ReplicaSet: st('ReplicaSet'), Pod: st('Pod') }
  assert.deepEqual(model(s, {}).target, { kind: 'Deployment', name: 'webapp', namespace: 'default' })
  // with nothing of the learner's, the add-on is still shown
  assert.equal(model({ Deployment: [coredns], ReplicaSet: [], Pod: [] }, {}).target.name, 'coredns')
})
