import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createStore, keyOf } from '../static/js/store.js'
import { snapshot, deployment } from '../testdata/fixtures.mjs'

test('snapshot fills the store and reports everything as added', () => {
  const s = createStore()
  const seen = []
  s.subscribe(c => seen.push(c))
  const c = s.apply(snapshot())
  assert.equal(c.type, 'snapshot')
  assert.equal(c.first, true)
  assert.equal(s.seq, 41)
  assert.equal(c.added.length, s.size())
  assert.ok(c.kinds.has('Pod') && c.kinds.has('Node'))
  assert.equal(seen.length, 1)
  assert.deepEqual(s.get('Node').map(n => n.name), ['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-20.ec2.internal', 'ip-10-0-2-10.ec2.internal'])
  assert.equal(s.find('Deployment', 'default', 'webapp').uid, 'uid-webapp')
  assert.equal(s.find('Namespace', '', 'default').phase, 'Active')
  assert.deepEqual(s.get('Nope'), [])
  assert.equal(keyOf(deployment), 'Deployment/default/webapp')
})

test('upsert adds then changes, with the previous object; delete removes', () => {
  const s = createStore()
  s.apply(snapshot())
  const changes = []
  const off = s.subscribe(c => changes.push(c))
  const pod = { kind: 'Pod', namespace: 'default', name: 'new-pod', uid: 'u1', rv: '500', phase: 'Pending', status: 'Pending' }
  let c = s.apply({ type: 'upsert', seq: 42, obj: pod })
  assert.deepEqual([c.added.length, c.changed.length, c.removed.length], [1, 0, 0])
  c = s.apply({ type: 'upsert', seq: 43, obj: { ...pod, rv: '501', status: 'Running', phase: 'Running' } })
  assert.equal(c.changed[0].status, 'Running')
  assert.equal(c.prev.get('Pod/default/new-pod').status, 'Pending')
  assert.equal(s.find('Pod', 'default', 'new-pod').status, 'Running')
  c = s.apply({ type: 'delete', seq: 44, obj: pod })
  assert.equal(c.removed[0].name, 'new-pod')
  assert.equal(s.find('Pod', 'default', 'new-pod'), undefined)
  assert.equal(s.apply({ type: 'delete', seq: 45, obj: pod }), null, 'deleting an unknown object changes nothing')
  assert.equal(s.seq, 45)
  assert.equal(changes.length, 3)
  off()
  s.apply({ type: 'upsert', seq: 46, obj: pod })
  assert.equal(changes.length, 3, 'unsubscribed')
  const h = s.history()
  assert.deepEqual(h.slice(-4).map(e => e.op), ['add', 'change', 'remove', 'add'])
  assert.equal(h.at(-3).prev.status, 'Pending')
  assert.equal(h[0].snap, true)
})

test('a new snapshot (after a reconnect) is diffed against the old state', () => {
  const s = createStore()
  s.apply(snapshot())
  const before = s.size()
  const next = snapshot(7)
  next.objects = next.objects.filter(o => !(o.kind === 'Pod' && o.name === 'big-pod'))
  const d = next.objects.find(o => o.kind === 'Deployment' && o.name === 'webapp')
  d.rv = '999'; d.replicas = 5
  next.objects.push({ kind: 'ConfigMap', namespace: 'default', name: 'app-config', rv: '1000' })
  const c = s.apply(next)
  assert.equal(c.first, false)
  assert.deepEqual(c.removed.map(o => o.name), ['big-pod'])
  assert.deepEqual(c.changed.map(o => o.name), ['webapp'])
  assert.equal(c.prev.get('Deployment/default/webapp').replicas, 3)
  assert.deepEqual(c.added.map(o => o.name), ['app-config'])
  assert.equal(s.size(), before)
  assert.equal(s.find('Deployment', 'default', 'webapp').replicas, 5)
  assert.equal(s.get('Pod').some(p => p.name === 'big-pod'), false, 'sorted cache invalidated')
})

test('a subscriber that throws does not stop the others; history is bounded', () => {
  const s = createStore({ historyLimit: 5 })
  let called = 0
  const orig = console.error; console.error = () => {}
  s.subscribe(() => { throw new Error('boom') })
  s.subscribe(() => called++)
  for (let i = 0; i < 10; i++) s.apply({ type: 'upsert', seq: i, obj: { kind: 'Pod', namespace: 'a', name: 'p' + i } })
  console.error = orig
  assert.equal(called, 10)
  assert.equal(s.history().length, 5)
  assert.equal(s.apply({ type: 'hint', text: 'x' }), null)
  s.clear()
  assert.equal(s.size(), 0)
})

test('more counts what a bounded snapshot left out; clear forgets it', () => {
  const s = createStore()
  s.apply({ ...snapshot(), more: { Event: 7 } })
  assert.equal(s.more('Event'), 7)
  s.apply({ type: 'upsert', seq: 99, obj: deployment })
  assert.equal(s.more('Event'), 7, 'deltas keep it')
  s.clear()
  assert.equal(s.more('Event'), 0)
})
