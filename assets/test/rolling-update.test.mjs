import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model, bound } from '../static/js/diagrams/rolling-update.js'
import { createStore } from '../static/js/store.js'
import { snapshot, replicaSets } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('maxSurge rounds up, maxUnavailable rounds down, integers stay', () => {
  assert.equal(bound('25%', 4, true), 1)
  assert.equal(bound('25%', 3, true), 1)
  assert.equal(bound('25%', 3, false), 0)
  assert.equal(bound('50%', 5, false), 2)
  assert.equal(bound('2', 5, true), 2)
  assert.equal(bound(undefined, 8, true), 2)
})

test('ReplicaSets side by side, old to new, with their pods and counts', () => {
  const m = model(state(), { lang: 'en' })
  assert.equal(m.deployment.name, 'webapp')
  assert.equal(m.deployment.revision, 2)
  assert.deepEqual([m.deployment.maxPods, m.deployment.minReady], [4, 3])
  assert.deepEqual(m.columns.map(c => [c.name, c.revision, c.isNew, c.desired, c.ready, c.pods.length]), [
    ['webapp-6d8f7c9b4', 1, false, 1, 1, 1],
    ['webapp-7f9c8d6b5', 2, true, 3, 2, 3]])
  assert.ok(m.columns[1].x > m.columns[0].x)
  assert.equal(m.columns[0].images, 'nginx:1.25.1')
  const newPods = m.columns[1].pods
  assert.deepEqual(newPods.map(p => p.tone), ['ok', 'ok', 'wait'])
  assert.ok(newPods.every(p => p.x >= m.columns[1].x && p.x + p.w <= m.columns[1].x + m.columns[1].w))
  assert.equal(m.older, 0)
})

test('at most three ReplicaSets are drawn; older ones are counted', () => {
  const s = state()
  for (let r = 3; r <= 5; r++) {
    s.apply({ type: 'upsert', seq: 40 + r, obj: { ...replicaSets[1], name: 'webapp-rev' + r, uid: 'uid-rev' + r, revision: String(r), replicas: r === 5 ? 3 : 0, readyReplicas: 0 } })
  }
  const m = model(s, { name: 'webapp' })
  assert.deepEqual(m.columns.map(c => c.revision), [3, 4, 5])
  assert.equal(m.older, 2)
  assert.equal(m.columns.at(-1).isNew, true)
  assert.equal(model({}, {}).deployment, null)
})
