import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model } from '../static/js/diagrams/service-routing.js'
import { createStore } from '../static/js/store.js'
import { snapshot, endpointSlice } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('the first Service that is not "kubernetes", its selector, ports and endpoints', () => {
  const m = model(state(), { lang: 'en' })
  assert.equal(m.service.name, 'backend')
  assert.equal(m.service.clusterIP, '10.96.12.34')
  assert.equal(m.service.selector, 'app=backend')
  assert.equal(m.service.ports, '80→80/TCP')
  assert.deepEqual(m.endpoints, { total: 3, ready: 2 })
})

test('matching pods are highlighted, ready endpoints get traffic, the unready one drops out', () => {
  const m = model(state(), {})
  const by = Object.fromEntries(m.rows.map(r => [r.name, r]))
  assert.equal(by['backend-5c7d9-aaa11'].state, 'ready')
  assert.equal(by['backend-5c7d9-ccc33'].state, 'notReady')
  assert.equal(by['backend-5c7d9-ccc33'].matched, true)
  const other = m.rows.filter(r => !r.matched)
  assert.ok(other.length > 0 && other.every(r => r.state === 'noMatch' && !r.labels.includes('app=backend')))
  assert.ok(other.some(r => r.name === 'affinity-pod'), 'other pods of the namespace are listed after the matches')
  assert.deepEqual(m.rows.slice(0, 3).map(r => r.state), ['ready', 'ready', 'notReady'], 'ready first')
  assert.deepEqual(m.targets.map(t => t.key), ['uid-backend-5c7d9-aaa11', 'uid-backend-5c7d9-bbb22'])
  assert.equal(m.rows.length, 7, 'the 3 selected pods, then at most 4 others')
  assert.equal(m.hidden, 4)
  assert.equal(other[0].own, 'app=∅', 'what the pod has for the selector key')
  assert.ok(m.targets.every(t => t.y > 0 && t.x > m.entry.x))
})

test('endpoint updates: a pod becoming unready leaves the targets; a matching pod without endpoint waits', () => {
  const s = state()
  s.apply({ type: 'upsert', seq: 42, obj: { ...endpointSlice, rv: '171', endpoints: endpointSlice.endpoints.map(e => ({ ...e, ready: e.pod.endsWith('aaa11') })) } })
  s.apply({ type: 'upsert', seq: 43, obj: { kind: 'Pod', namespace: 'default', name: 'backend-5c7d9-ddd44', labels: { app: 'backend' }, status: 'ContainerCreating', phase: 'Pending' } })
  const m = model(s, { name: 'backend', namespace: 'default' })
  assert.equal(m.targets.length, 1)
  assert.equal(m.rows.find(r => r.name === 'backend-5c7d9-ddd44').state, 'pending')
})

test('no Service, an unknown name, a Service without selector', () => {
  assert.equal(model({}, {}).service, null)
  assert.equal(model(state(), { name: 'nope' }).service, null)
  const m = model({ Service: [{ kind: 'Service', namespace: 'a', name: 'ext', clusterIP: '10.96.0.9', ports: [{ port: 5432 }] }], EndpointSlice: [{ kind: 'EndpointSlice', namespace: 'a', name: 'ext-1', service: 'ext', endpoints: [{ ip: '192.168.0.5', ready: true }] }] }, {})
  assert.equal(m.service.selector, '')
  assert.equal(m.service.ports, '5432→5432/TCP')
  assert.deepEqual(m.rows.map(r => [r.name, r.state]), [['192.168.0.5', 'ready']])
})
