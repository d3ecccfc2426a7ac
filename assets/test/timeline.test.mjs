import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model } from '../static/js/diagrams/timeline.js'
import { createStore } from '../static/js/store.js'
import { snapshot, endpointSlice, webappPods } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('owner references and Events become a causal story, oldest first', () => {
  const texts = model(state(), { lang: 'en' }).entries.map(e => e.text)
  const at = s => texts.indexOf(s)
  const created = 'Deployment webapp -> ReplicaSet webapp-7f9c8d6b5 created pod webapp-7f9c8d6b5-x2x4k'
  const sched = 'scheduler put webapp-7f9c8d6b5-x2x4k on node ip-10-0-1-10.ec2.internal (us-east-1a)'
  assert.ok(at('Deployment webapp created ReplicaSet webapp-7f9c8d6b5 (revision 2)') >= 0)
  assert.ok(at('Deployment webapp scaled ReplicaSet webapp-7f9c8d6b5 up to 3') >= 0)
  assert.ok(at(created) >= 0, texts.join('\n'))
  assert.ok(at(sched) > at(created), 'scheduled after created (same second)')
  assert.ok(at('kubelet pulled the image for webapp-7f9c8d6b5-x2x4k') > at(sched))
  assert.equal(texts.filter(t => t.includes('created pod webapp-7f9c8d6b5-x2x4k')).length, 1, 'SuccessfulCreate does not repeat a pod we know')
  assert.ok(at('ReplicaSet webapp-7f9c8d6b5 created pod webapp-7f9c8d6b5-gone1') >= 0, 'but tells of a pod that is gone')
  assert.ok(texts.some(t => t.startsWith('scheduler could not place big-pod: 0/3 nodes are available') && !t.includes('preemption')))
  assert.ok(texts.includes('Job pi created pod pi-job-zx9k2'))
  assert.ok(!texts.some(t => t.includes('coredns')), 'kube-system is left out')
  const times = model(state(), {}).entries.map(e => e.time)
  assert.deepEqual(times, [...times].sort((a, b) => a - b))
  const ko = model(state(), { lang: 'ko' }).entries.map(e => e.text)
  assert.ok(ko.includes('스케줄러가 Pod webapp-7f9c8d6b5-x2x4k를 노드 ip-10-0-1-10.ec2.internal (us-east-1a)에 배치'))
})

test('EndpointSlice changes and pod deletions come from the store history', () => {
  const s = state()
  s.apply({ type: 'upsert', seq: 42, obj: { ...endpointSlice, rv: '171', endpoints: [...endpointSlice.endpoints.slice(0, 2).map((e, i) => ({ ...e, ready: i === 0 })), { ip: '10.244.1.30', ready: true, pod: 'backend-5c7d9-eee55' }] } })
  s.apply({ type: 'delete', seq: 43, obj: webappPods[0] })
  const e = model(s, { lang: 'en' }).entries
  const texts = e.map(x => x.text)
  assert.ok(texts.includes('endpoint 10.244.1.30 (backend-5c7d9-eee55) added to Service backend'))
  assert.ok(texts.includes('endpoint 10.244.2.21 (backend-5c7d9-bbb22) of Service backend became not ready'))
  assert.ok(texts.includes('endpoint 10.244.2.22 (backend-5c7d9-ccc33) removed from Service backend'))
  assert.equal(texts.at(-1), 'pod webapp-6d8f7c9b4-aaaaa deleted', 'newest last')
  assert.equal(e.find(x => x.text.includes('became not ready')).tone, 'warning')
  assert.ok(!texts.some(t => t.includes('10.244.1.20')), 'the initial snapshot is not news')
})

test('at most 50 entries, the newest kept', () => {
  const pods = Array.from({ length: 80 }, (_, i) => ({ kind: 'Pod', namespace: 'default', name: 'p' + String(i).padStart(2, '0'), created: new Date(Date.UTC(2026, 10, 26, 10, 0, i)).toISOString() }))
  const m = model({ Pod: pods }, { lang: 'en' })
  assert.equal(m.entries.length, 50)
  assert.equal(m.entries[0].text, 'pod p30 created')
  assert.equal(m.entries.at(-1).text, 'pod p79 created')
  assert.deepEqual(model({}, {}).entries, [])
})

test('a snapshot that left Events out says how many, until the next snapshot', () => {
  const s = createStore()
  s.apply({ ...snapshot(), more: { Event: 1500 } })
  assert.equal(s.more('Event'), 1500)
  assert.equal(s.more('Pod'), 0)
  assert.equal(model(s, { lang: 'en' }).more, 1500)
  assert.equal(model(state(), { lang: 'en' }).more, 0, 'no marker when nothing was left out')
  s.apply(snapshot())
  assert.equal(model(s, { lang: 'en' }).more, 0, 'a full snapshot clears it')
})
