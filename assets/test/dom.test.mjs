// Mount tests in a DOM (linkedom): every diagram draws, follows the store and cleans up;
// the console, the editor and the page glue talk to the server as docs/stream.md and the brief say.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseHTML } from 'linkedom'
import { createStore } from '../static/js/store.js'
import { h, patch } from '../static/js/view.js'
import { snapshot, endpointSlice } from '../testdata/fixtures.mjs'

const page = (body = '', lang = 'en') => {
  const { document, window } = parseHTML(`<!doctype html><html lang="${lang}"><head><meta name="csrf-token" content="tok-123"></head><body>${body}</body></html>`)
  globalThis.document = document
  globalThis.CustomEvent = globalThis.CustomEvent || window.CustomEvent
  return document
}
const store = () => { const s = createStore(); s.apply(snapshot()); return s }
const tick = ms => new Promise(r => setTimeout(r, ms))

test('patch reuses keyed elements, removes the rest, keeps order', async () => {
  const doc = page()
  const root = doc.createElement('div')
  patch(root, [h('p', { key: 'a', class: 'x' }, 'A'), h('p', { key: 'b' }, 'B'), 'tail'])
  const a = root.firstChild
  patch(root, [h('p', { key: 'c' }, 'C'), h('p', { key: 'a', class: 'y' }, 'A2'), 'tail'])
  assert.equal(root.children[1], a, 'same element reused')
  assert.equal(a.getAttribute('class'), 'y')
  assert.equal(a.textContent, 'A2')
  const b = [...root.children].find(e => e.textContent === 'B')
  assert.ok(b.classList.contains('kl-leave'), 'a removed keyed element fades out first')
  assert.equal(root.textContent, 'CA2Btail', 'it stays in place while it fades')
  patch(root, [h('p', { key: 'c' }, 'C'), h('p', { key: 'a', class: 'y' }, 'A2'), 'tail'])
  assert.equal(root.children.length, 3, 'the leaving element is not matched again')
  await tick(450)
  assert.equal(root.textContent, 'CA2tail')
})

const DIAGRAMS = ['cluster-map', 'control-loop', 'service-routing', 'rolling-update', 'why-pending', 'why-here', 'timeline', 'architecture']
for (const name of DIAGRAMS) {
  test(`${name}: mount draws, follows the store, destroy cleans up`, async () => {
    const doc = page('<div id="d"></div>')
    const el = doc.getElementById('d')
    const s = store()
    const mod = await import(`../static/js/diagrams/${name}.js`)
    assert.equal(typeof mod.model, 'function')
    const w = mod.mount(el, s, { interval: 5 })
    assert.equal(typeof w.update, 'function')
    assert.equal(typeof w.destroy, 'function')
    const root = el.firstChild
    assert.ok(root.className.includes('kl-' + name))
    const svg = root.querySelector('svg')
    if (svg) {
      assert.match(svg.getAttribute('viewBox'), /^0 0 720 \d+/)
      assert.ok(svg.querySelectorAll('text').length > 3)
    } else assert.ok(root.querySelector('.kl-html').textContent.length > 20)
    const before = root.innerHTML
    s.apply({ type: 'upsert', seq: 42, obj: { ...endpointSlice, rv: '171', endpoints: endpointSlice.endpoints.slice(0, 1) } })
    s.apply({ type: 'upsert', seq: 43, obj: { kind: 'Pod', namespace: 'default', name: 'webapp-7f9c8d6b5-zz999', uid: 'zz', owner: { kind: 'ReplicaSet', name: 'webapp-7f9c8d6b5', uid: 'uid-webapp-7f9c8d6b5' }, labels: { app: 'backend' }, status: 'Pending', phase: 'Pending', reason: '0/3 nodes are available: 3 Insufficient memory.', created: '2026-11-26T12:00:00Z' } })
    s.apply({ type: 'upsert', seq: 44, obj: { kind: 'Event', namespace: 'default', name: 'zz.1', uid: 'e-zz', reason: 'Scheduled', message: 'Successfully assigned default/x to ip-10-0-1-10.ec2.internal', involved: { kind: 'Pod', name: 'x', namespace: 'default' }, last: '2026-11-26T12:00:01Z' } })
    s.apply({ type: 'upsert', seq: 45, obj: { kind: 'SchedulingDecision', namespace: 'default', name: 'webapp-7f9c8d6b5-zz999', uid: 'sd-zz', decision: { pod: 'webapp-7f9c8d6b5-zz999', namespace: 'default', uid: 'zz', node: '', scored: false, filterPlugins: ['NodeResourcesFit'], nodes: [{ name: 'ip-10-0-1-10.ec2.internal', feasible: false, filters: [{ plugin: 'NodeResourcesFit', passed: false, reason: 'Insufficient memory' }] }] } } })
    await tick(40)
    w.update()
    assert.notEqual(root.innerHTML, before, 'redrawn after changes')
    if (name === 'architecture') assert.ok(root.querySelector('.kl-c-sched.is-lit'), 'scheduler lit')
    if (name === 'cluster-map') assert.match(root.textContent, /webapp-7f9c8d6b5-zz999/)
    if (name === 'timeline') assert.match(root.textContent, /endpoint 10\.244\.2\.21 \(backend-5c7d9-bbb22\) removed from Service backend/)
    doc.documentElement.setAttribute('lang', 'ko')
    w.update()
    if (svg) assert.match(svg.firstChild.textContent, /[가-힣]/, 'Korean label after lang change')
    w.destroy()
    assert.equal(el.childNodes.length, 0)
    s.apply({ type: 'upsert', seq: 46, obj: { kind: 'Pod', namespace: 'default', name: 'late' } })
    await tick(20)
    assert.equal(el.childNodes.length, 0, 'no drawing after destroy')
  })
}

test('why-pending: choosing another Pending pod', async () => {
  const doc = page('<div id="d"></div>')
  const { mount } = await import('../static/js/diagrams/why-pending.js')
  const w = mount(doc.getElementById('d'), store(), {})
  assert.match(doc.querySelector('.kl-wp-title').textContent, /big-pod/)
  const btn = [...doc.querySelectorAll('.kl-wp-pods button')].find(b => b.textContent === 'affinity-pod')
  btn.onclick()
  assert.match(doc.querySelector('.kl-wp-title').textContent, /affinity-pod/)
  assert.equal(btn.getAttribute('aria-pressed'), 'true')
  w.destroy()
})

test('timeline: a bounded snapshot shows how many older Events were left out', async () => {
  const doc = page('<div id="d"></div>')
  const { mount } = await import('../static/js/diagrams/timeline.js')
  const s = createStore()
  s.apply({ ...snapshot(), more: { Event: 1500 } })
  const w = mount(doc.getElementById('d'), s, {})
  assert.equal(doc.querySelector('[data-more]')?.textContent, '1500 older events are not shown: the server sends at most 500 of a kind.')
  s.apply(snapshot())
  await tick(40)
  w.update()
  assert.equal(doc.querySelector('[data-more]'), null, 'gone after a full snapshot')
  w.destroy()
})

const fakeFetch = (answer, log) => async (url, init) => {
  log.push({ url, init, body: JSON.parse(init.body) })
  return { ok: true, status: 200, json: async () => typeof answer === 'function' ? answer(JSON.parse(init.body)) : answer }
}

test('console: posts the command with the CSRF token, shows output, history with arrows, data-run', async () => {
  const doc = page('<div id="c"></div><figure><pre><code>kubectl get ns</code></pre><button data-run="">run</button><button data-copy="kubectl get ns">copy</button></figure>')
  const { mountConsole } = await import('../static/js/console.js')
  const log = []
  const c = mountConsole(doc.getElementById('c'), { fetchImpl: fakeFetch(b => b.command.includes('nope') ? { output: '', exitCode: 1, error: 'error: the server doesn\'t have a resource type "nope"' } : { output: 'NAME   READY   STATUS\nweb    1/1     Running', exitCode: 0 }, log) })
  await c.run('kubectl get pods')
  assert.equal(log[0].url, '/api/console')
  assert.equal(log[0].init.headers['X-CSRF-Token'], 'tok-123')
  assert.equal(log[0].init.headers['Content-Type'], 'application/json')
  assert.deepEqual(log[0].body, { command: 'kubectl get pods' })
  const out = doc.querySelector('.kl-out')
  assert.deepEqual([...out.children].map(s => s.textContent), ['$ kubectl get pods', 'NAME   READY   STATUS\nweb    1/1     Running'])
  await c.run('kubectl get nope')
  assert.match(out.querySelector('.kl-err').textContent, /doesn't have a resource type/)
  assert.match(out.querySelector('.kl-exit').textContent, /exit code 1/)
  const input = doc.querySelector('input')
  const key = k => { let prevented = false; input.onkeydown({ key: k, preventDefault: () => { prevented = true } }); return prevented }
  key('ArrowUp'); assert.equal(input.value, 'kubectl get nope')
  key('ArrowUp'); assert.equal(input.value, 'kubectl get pods')
  key('ArrowDown'); assert.equal(input.value, 'kubectl get nope')
  key('ArrowDown'); assert.equal(input.value, '')
  doc.querySelector('[data-run]').dispatchEvent(new doc.defaultView.Event('click', { bubbles: true }))
  await tick(10)
  assert.deepEqual(log.at(-1).body, { command: 'kubectl get ns' }, 'data-run with an empty value runs its code block')
  assert.deepEqual(c.history, ['kubectl get pods', 'kubectl get nope', 'kubectl get ns'])
  c.destroy()
})

test('editor: dry run and apply post the YAML; line errors are marked', async () => {
  const doc = page('<div id="e"></div><figure><pre><code>apiVersion: v1\nkind: Pod</code></pre><button data-edit>edit</button></figure>')
  const { mountEditor } = await import('../static/js/editor.js')
  const log = []
  const ed = mountEditor(doc.getElementById('e'), {
    fetchImpl: fakeFetch(b => b.dryRun
      ? { results: [], errors: [{ line: 3, message: 'unknown field "spec.volumeMounts"' }] }
      : { results: [{ object: { kind: 'Pod', name: 'webapp', namespace: 'default' }, action: 'created' }], errors: [] }, log)
  })
  doc.querySelector('[data-edit]').dispatchEvent(new doc.defaultView.Event('click', { bubbles: true }))
  assert.equal(ed.get(), 'apiVersion: v1\nkind: Pod')
  ed.set('apiVersion: v1\nkind: Pod\nspec:\n  volumeMounts: []\n')
  assert.equal(doc.querySelectorAll('.kl-gutter span').length, 5)
  assert.equal(await ed.submit(true), false)
  assert.equal(log[0].url, '/api/apply')
  assert.equal(log[0].init.headers['X-CSRF-Token'], 'tok-123')
  assert.deepEqual(log[0].body, { yaml: 'apiVersion: v1\nkind: Pod\nspec:\n  volumeMounts: []\n', dryRun: true })
  const bad = doc.querySelectorAll('.kl-gutter .is-bad')
  assert.equal(bad.length, 1)
  assert.equal(bad[0].textContent.trim(), '3')
  assert.match(doc.querySelector('.kl-ed-msg').textContent, /line 3: unknown field "spec.volumeMounts"/)
  assert.equal(await ed.submit(false), true)
  assert.equal(log[1].body.dryRun, false)
  assert.match(doc.querySelector('.kl-ed-msg').textContent, /pod\/webapp \(default\) created/)
  assert.equal(doc.querySelectorAll('.kl-gutter .is-bad').length, 0)
  ed.destroy()
})

test('lab page: mounts the step diagram, shows verdicts, sandbox and hints, switches diagrams', async () => {
  const doc = page(`<main id="lab" data-lab="kubectl-activity" data-step="create-namespace" data-diagram="cluster-map">
    <article><section data-step="create-namespace"><span data-step-status="create-namespace"></span>
    <ul><li data-check="ns-exists">namespace <span data-check-message></span></li></ul></section>
    <div id="hint" hidden></div></article>
    <aside><span id="sandbox-state"></span><span id="conn-state"></span>
    <button data-diagram-tab="cluster-map">map</button><button data-diagram-tab="timeline">timeline</button>
    <div id="diagram"></div><div id="console"></div><div id="editor"></div></aside></main>`)
  globalThis.KUBELAB_NO_AUTOSTART = true
  const { start } = await import('../static/js/lab.js')
  let opened = null
  const lab = start(doc, { connectImpl: o => { opened = o; return { state: 'connecting', close () {} } } })
  assert.equal(opened.target, doc)
  await lab.ready
  assert.ok(doc.querySelector('#diagram .kl-cluster-map svg'))
  assert.equal(doc.querySelector('[data-diagram-tab="cluster-map"]').getAttribute('aria-selected'), 'true')
  assert.ok(doc.querySelector('#console .kl-out') && doc.querySelector('#editor textarea'))
  const fire = (type, detail) => doc.dispatchEvent(new doc.defaultView.CustomEvent(type, { detail }))
  fire('kubelab:verdict', { type: 'verdict', lab: 'kubectl-activity', step: 'create-namespace', passed: false, score: 0.5, checks: [{ id: 'ns-exists', passed: false, message: 'namespace my-ns not found' }], hint: 'Run `kubectl create namespace my-ns`' })
  const badge = doc.querySelector('[data-step-status]')
  assert.equal(badge.dataset.state, 'failed')
  assert.equal(badge.textContent, 'Not yet · score 50%')
  const check = doc.querySelector('[data-check="ns-exists"]')
  assert.equal(check.dataset.state, 'failed')
  assert.equal(check.querySelector('[data-check-status]').textContent, 'Not yet')
  assert.equal(check.querySelector('[data-check-message]').textContent, 'namespace my-ns not found')
  assert.equal(doc.getElementById('hint').hidden, false)
  assert.equal(doc.getElementById('hint').textContent, 'Run kubectl create namespace my-ns')
  assert.equal(doc.querySelector('#hint code').textContent, 'kubectl create namespace my-ns')
  fire('kubelab:verdict', { type: 'verdict', lab: 'other-lab', step: 'create-namespace', passed: true, checks: [] })
  assert.equal(badge.dataset.state, 'failed', 'another lab\'s verdict is ignored')
  fire('kubelab:verdict', { type: 'verdict', lab: 'kubectl-activity', step: 'create-namespace', passed: true, score: 1, checks: [{ id: 'ns-exists', passed: true }] })
  assert.equal(badge.textContent, 'Passed')
  assert.equal(check.querySelector('[data-check-message]').hidden, true)
  fire('kubelab:sandbox', { type: 'sandbox', state: 'ready', backend: 'embedded' })
  assert.equal(doc.getElementById('sandbox-state').textContent, 'Cluster ready — loading the diagrams…',
    'ready before the page has the cluster\'s state')
  assert.equal(doc.getElementById('sandbox-state').dataset.state, 'ready')
  lab.store.apply({ type: 'snapshot', seq: 1, objects: [] })
  assert.equal(doc.getElementById('sandbox-state').textContent, 'Cluster ready', 'the first snapshot arrived')
  fire('kubelab:sandbox', { type: 'sandbox', state: 'ready', backend: 'embedded' })
  assert.equal(doc.getElementById('sandbox-state').textContent, 'Cluster ready')
  fire('kubelab:connection', { state: 'reconnecting', attempt: 2 })
  assert.equal(doc.getElementById('conn-state').textContent, 'Disconnected, reconnecting…')
  fire('kubelab:hint', { type: 'hint', text: 'Check the selector' })
  assert.equal(doc.getElementById('hint').textContent, 'Check the selector')
  doc.querySelector('[data-diagram-tab="timeline"]').dispatchEvent(new doc.defaultView.Event('click', { bubbles: true }))
  await tick(30)
  assert.ok(doc.querySelector('#diagram .kl-timeline'))
  assert.equal(doc.querySelector('#diagram .kl-cluster-map'), null)
  assert.equal(doc.querySelector('[data-diagram-tab="timeline"]').getAttribute('aria-selected'), 'true')
  lab.diagram.destroy()
})

test('lab page: a held pass stays passed and shows its note and reset when the cluster changed', async () => {
  const doc = page(`<main id="lab" data-lab="kubectl-activity" data-step="create-namespace">
    <span data-step-status="create-namespace" data-state="pending"></span>
    <section data-step="create-namespace"><span data-step-status="create-namespace"></span>
    <p data-step-note hidden></p><ul><li data-check="ns-active"><span data-check-message hidden></span></li></ul>
    <form data-step-reset hidden></form></section></main>`)
  const { applyVerdict } = await import('../static/js/lab.js')
  const badges = () => [...doc.querySelectorAll('[data-step-status]')]
  const note = doc.querySelector('[data-step-note]'); const reset = doc.querySelector('[data-step-reset]')
  applyVerdict(doc, { lab: 'kubectl-activity', step: 'create-namespace', passed: true, score: 1, passedAt: '2026-12-06T04:00:00Z', checks: [{ id: 'ns-active', passed: true }] }, 'kubectl-activity')
  assert.deepEqual(badges().map(b => b.dataset.state), ['passed', 'passed'])
  assert.equal(note.hidden, true)
  assert.equal(reset.hidden, false, 'a held pass can be reset')
  applyVerdict(doc, { lab: 'kubectl-activity', step: 'create-namespace', passed: true, score: 1, changed: true, passedAt: '2026-12-06T04:00:00Z', checks: [{ id: 'ns-active', passed: false, message: 'namespace my-ns not found' }] }, 'kubectl-activity')
  assert.deepEqual(badges().map(b => b.textContent), ['Passed', 'Passed'])
  assert.deepEqual(badges().map(b => b.dataset.changed), ['true', 'true'])
  assert.equal(note.hidden, false)
  assert.equal(note.textContent, 'passed earlier; the cluster has changed since')
  assert.equal(doc.querySelector('[data-check="ns-active"]').dataset.state, 'failed', 'the checks show the cluster as it is')
  applyVerdict(doc, { lab: 'kubectl-activity', step: 'create-namespace', passed: false, score: 0, checks: [{ id: 'ns-active', passed: false, message: 'x' }] }, 'kubectl-activity')
  assert.deepEqual(badges().map(b => b.dataset.state), ['failed', 'failed'], 'after a reset the step reads as it is')
  assert.equal(note.hidden, true)
  assert.equal(reset.hidden, true)
  assert.equal(badges()[0].dataset.changed, undefined)
})

test('lab page: a verdict carries both languages; the page shows its own', async () => {
  const { applyVerdict } = await import('../static/js/lab.js')
  const html = `<main id="lab" data-lab="kubectl-activity"><section data-step="create-namespace">
    <ul><li data-check="ns-exists"><span data-check-message hidden></span></li></ul></section>
    <div id="hint" hidden><span data-hint-text></span></div></main>`
  const v = {
    lab: 'kubectl-activity', step: 'create-namespace', passed: false, score: 0,
    checks: [{ id: 'ns-exists', passed: false, message: '네임스페이스가 없습니다', messageKo: '네임스페이스가 없습니다', messageEn: 'no namespace my-ns' }],
    hint: '`kubectl create namespace my-ns`를 실행하세요', hintKo: '`kubectl create namespace my-ns`를 실행하세요', hintEn: 'Run `kubectl create namespace my-ns`'
  }
  for (const [lang, message, hint] of [['en', 'no namespace my-ns', 'Run kubectl create namespace my-ns'], ['ko', '네임스페이스가 없습니다', 'kubectl create namespace my-ns를 실행하세요']]) {
    const doc = page(html, lang)
    applyVerdict(doc, v, 'kubectl-activity')
    assert.equal(doc.querySelector('[data-check-message]').textContent, message, lang)
    assert.equal(doc.querySelector('[data-hint-text]').textContent, hint, lang)
  }
})

test('layout: the switch sets main[data-layout], the zoom #diagram[data-zoom], both remembered; zoomed in by default on a phone', async () => {
  const { bindLayout, LAYOUTS } = await import('../static/js/layout.js')
  const html = `<main id="lab"><div data-diagram-tools hidden>${['side', 'wide', 'below'].map(m => `<button data-layout-set="${m}"></button>`).join('')}
    <button data-diagram-zoom></button></div><div id="diagram"></div></main>`
  const mem = () => { const m = new Map(); return { getItem: k => m.get(k) ?? null, setItem: (k, v) => m.set(k, String(v)), m } }
  const storage = mem()
  let doc = page(html)
  let l = bindLayout(doc, { storage, narrow: () => false })
  assert.deepEqual(LAYOUTS, ['side', 'wide', 'below'])
  const main = doc.getElementById('lab'); const host = doc.getElementById('diagram')
  assert.equal(main.dataset.layout, 'side')
  assert.equal(host.dataset.zoom, 'fit', 'a wide screen fits the diagram to its box')
  assert.equal(doc.querySelector('[data-diagram-tools]').hidden, false)
  const click = sel => doc.querySelector(sel).dispatchEvent(new doc.defaultView.Event('click', { bubbles: true }))
  click('[data-layout-set="below"]')
  assert.equal(main.dataset.layout, 'below')
  assert.deepEqual([...doc.querySelectorAll('[data-layout-set]')].map(b => b.getAttribute('aria-pressed')), ['false', 'false', 'true'])
  click('[data-diagram-zoom]')
  assert.equal(host.dataset.zoom, 'in')
  assert.equal(doc.querySelector('[data-diagram-zoom]').getAttribute('aria-pressed'), 'true')
  assert.equal(storage.m.get('kubelab.layout'), 'below')
  assert.equal(storage.m.get('kubelab.zoom'), 'in')
  l.setLayout('nonsense')
  assert.equal(l.layout, 'below', 'an unknown layout is ignored')

  doc = page(html) // the next page comes back as left
  l = bindLayout(doc, { storage, narrow: () => false })
  assert.equal(doc.getElementById('lab').dataset.layout, 'below')
  assert.equal(doc.getElementById('diagram').dataset.zoom, 'in')

  doc = page(html) // a phone, nothing chosen yet: zoomed in
  l = bindLayout(doc, { storage: mem(), narrow: () => true })
  assert.equal(doc.getElementById('diagram').dataset.zoom, 'in')
  assert.equal(doc.getElementById('lab').dataset.layout, 'side')
  l = bindLayout(page(html), { storage: { getItem () { throw new Error('denied') }, setItem () { throw new Error('denied') } }, narrow: () => false })
  assert.equal(l.layout, 'side', 'storage that refuses is no error')
})

test('cluster map: a click on a pod asks for the scheduler\'s reasons', async () => {
  const doc = page('<div id="d"></div>')
  const { mount } = await import('../static/js/diagrams/cluster-map.js')
  const w = mount(doc.getElementById('d'), store(), {})
  const seen = []
  doc.addEventListener('kubelab:explain', e => seen.push(e.detail))
  const chip = [...doc.querySelectorAll('g.kl-chip')].find(g => g.querySelector('title')?.textContent.startsWith('default/big-pod'))
  chip.onclick()
  assert.deepEqual(seen, [{ name: 'big-pod', namespace: 'default' }])
  w.destroy()
})
