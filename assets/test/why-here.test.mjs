import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model } from '../static/js/diagrams/why-here.js'
import { createStore } from '../static/js/store.js'
import { snapshot, FILTERS } from '../testdata/fixtures.mjs'

const state = () => { const s = createStore(); s.apply(snapshot()); return s }

test('a pod that fits nowhere comes first: each node with the filter that rejected it', () => {
  const m = model(state(), { lang: 'en' })
  assert.equal(m.pod.name, 'big-pod')
  assert.equal(m.pod.pending, true)
  assert.deepEqual(m.pods.map(p => p.name), ['big-pod', 'webapp-7f9c8d6b5-x2x4k'], 'pods with a record only, pending first')
  assert.match(m.text, /All 3 nodes were filtered out/)
  assert.deepEqual(m.filterCols, FILTERS)
  const spot = m.rows.find(r => r.name === 'ip-10-0-1-20.ec2.internal')
  assert.deepEqual(spot.rejected, { plugin: 'TaintToleration', reason: 'node(s) had untolerated taint {spot: true}', stage: '' })
  const at = p => spot.cells[FILTERS.indexOf(p)]
  assert.deepEqual([at('NodeName'), at('TaintToleration'), at('NodeAffinity'), at('NodeResourcesFit')], ['pass', 'fail', 'notRun', 'notRun'])
  const cpu = m.rows.find(r => r.name === 'ip-10-0-1-10.ec2.internal')
  assert.deepEqual([cpu.cells[FILTERS.indexOf('NodeAffinity')], cpu.cells[FILTERS.indexOf('NodeResourcesFit')]], ['skip', 'fail'])
  assert.equal(m.rows.filter(r => r.feasible).length, 0)
  // a Pod cannot be patched in place: no command, the patch to copy instead
  assert.equal(m.suggestions.length, 1)
  assert.equal(m.suggestions[0].command, '')
  assert.match(m.suggestions[0].patch, /"cpu":"3750m"/)
  assert.match(model(state(), { lang: 'ko' }).suggestions[0].text, /낮추세요/)
})

test('a placed pod: scores per plugin, the winner, the node it never reached', () => {
  const m = model(state(), { lang: 'en', name: 'webapp-7f9c8d6b5-x2x4k' })
  assert.equal(m.pod.pending, false)
  assert.match(m.text, /Placed on ip-10-0-1-10\.ec2\.internal: the highest score among the 2 of 3 nodes/)
  assert.deepEqual(m.scoreCols.map(c => c.plugin), ['TaintToleration', 'NodeResourcesFit', 'PodTopologySpread'], 'only plugins that scored')
  const win = m.rows.find(r => r.chosen)
  assert.equal(win.name, 'ip-10-0-1-10.ec2.internal')
  assert.deepEqual(win.scores.map(s => s.score), [100, 92, 100])
  assert.equal(win.total, 592)
  assert.equal(m.rows.find(r => r.name === 'ip-10-0-2-10.ec2.internal').total, 522)
  assert.equal(m.rows.filter(r => !r.feasible).length, 1)
})

test('a suggestion for a Deployment runs as kubectl patch; a stale record is ignored', () => {
  const s = state()
  const d = structuredClone(s.get('SchedulingDecision').find(x => x.name === 'big-pod'))
  d.decision.suggestions[0].target = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'big' }
  d.decision.suggestions[0].patch = { spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '3750m' } } }] } } } }
  s.apply({ type: 'upsert', seq: 42, obj: d })
  const m = model(s, { lang: 'en' })
  assert.equal(m.suggestions[0].command, `kubectl patch deployment big -n default --type strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"3750m"}}}]}}}}'`)
  // the pod was deleted and created again under the same name: the old record says nothing about it
  const stale = structuredClone(d); stale.decision.uid = 'uid-of-an-earlier-pod'
  s.apply({ type: 'upsert', seq: 43, obj: stale })
  assert.deepEqual(model(s, { lang: 'en' }).pods.map(p => p.name), ['webapp-7f9c8d6b5-x2x4k'])
})

test('no record at all (kind or remote clusters): says so', () => {
  const s = createStore()
  s.apply({ type: 'snapshot', seq: 1, objects: snapshot().objects.filter(o => o.kind !== 'SchedulingDecision') })
  const m = model(s, { lang: 'en' })
  assert.equal(m.pod, null)
  assert.match(m.text, /Only kubelab's embedded sandbox keeps one/)
})
