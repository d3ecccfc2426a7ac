// Page glue for a lab page. It reads <main id="lab" data-lab data-step data-diagram>, opens the
// stream, mounts the step's diagram into #diagram (switchable with [data-diagram-tab] buttons),
// the console into #console and the editor into #editor, and shows verdicts
// ([data-step-status], [data-check]), hints (#hint), sandbox (#sandbox-state) and connection
// (#conn-state) state.

import { createStore } from './store.js'
import { connect } from './stream.js'
import { t, pick } from './i18n.js'
import { mountConsole, bindCopy } from './console.js'
import { mountEditor } from './editor.js'
import { mountScrubber } from './scrubber.js'
import { mountRewind } from './rewind.js'
import { bindLayout } from './layout.js'
import { mountDrills } from './drills.js'

/** DIAGRAMS lists the diagram names a step may ask for (docs/content-format.md). */
export const DIAGRAMS = ['cluster-map', 'control-loop', 'service-routing', 'rolling-update', 'why-pending', 'why-here', 'timeline', 'architecture']

const esc = s => String(s).replace(/["\\]/g, '\\$&')

function status (el, ok, score) {
  el.dataset.state = ok ? 'passed' : 'failed'
  el.textContent = t(ok ? 'status.passed' : 'status.failed') + (!ok && score > 0 ? ` · ${t('status.score', { n: Math.round(score * 100) })}` : '')
}

/** showHint shows text in #hint (source: 'check' or 'instructor'); `backticks` become <code>. */
export function showHint (doc, text, source) {
  const el = doc.getElementById('hint')
  if (!el || !text) return
  el.hidden = false
  el.dataset.source = source
  const body = el.querySelector('[data-hint-text]') || el
  body.replaceChildren(...String(text).split('`').map((s, i) => {
    if (!(i % 2)) return s
    const c = doc.createElement('code'); c.textContent = s; return c
  }))
}

/**
 * applyVerdict updates [data-step-status="<step>"] badges and the [data-check="<id>"] items of a
 * verdict message. A held pass (passedAt) shows the step's reset form ([data-step-reset]); a
 * held pass the checker fails now (changed) shows its note ([data-step-note]).
 */
export function applyVerdict (doc, v, lab) {
  if (!v || (lab && v.lab && v.lab !== lab)) return
  for (const el of doc.querySelectorAll(`[data-step-status="${esc(v.step)}"]`)) {
    status(el, v.passed, v.score)
    if (v.changed) el.dataset.changed = 'true'; else delete el.dataset.changed
  }
  const scope = doc.querySelector(`[data-step="${esc(v.step)}"]`) || doc
  if (scope !== doc) {
    const note = scope.querySelector('[data-step-note]')
    if (note) { note.hidden = !v.changed; if (v.changed) note.textContent = t('status.changed') }
    const reset = scope.querySelector('[data-step-reset]')
    if (reset) reset.hidden = !v.passedAt
  }
  for (const c of v.checks || []) {
    for (const el of scope.querySelectorAll(`[data-check="${esc(c.id)}"]`)) {
      el.dataset.state = c.passed ? 'passed' : 'failed'
      let st = el.querySelector('[data-check-status]')
      if (!st) { st = doc.createElement('span'); st.className = 'kl-check-state'; st.setAttribute('data-check-status', ''); el.prepend(st) }
      st.textContent = t(c.passed ? 'status.passed' : 'status.failed')
      const m = el.querySelector('[data-check-message]')
      const text = c.passed ? '' : pick(c, 'message')
      if (m) { m.textContent = text; m.hidden = !text }
    }
  }
  if (!v.passed) showHint(doc, pick(v, 'hint'), 'check')
}

/** start wires the page; it returns {store, conn, show(name), layout, console, editor}. */
export function start (doc = globalThis.document, { connectImpl = connect } = {}) {
  const main = doc.getElementById('lab')
  const d = main?.dataset || {}
  const store = createStore()
  const host = doc.getElementById('diagram')
  const setText = (id, key, state, extra) => {
    const el = doc.getElementById(id)
    if (!el) return
    el.dataset.state = state
    el.textContent = t(key) + (extra ? ` — ${extra}` : '')
  }
  doc.addEventListener('kubelab:connection', e => setText('conn-state', 'conn.' + e.detail.state, e.detail.state))
  // A ready sandbox's console works before the page has its cluster state (the server's watch is
  // still listing it on a busy machine): say so until the first snapshot arrives.
  let synced = false
  let sbState = ''
  store.subscribe(c => {
    if (c.type !== 'snapshot' || synced) return
    synced = true
    if (sbState === 'ready') setText('sandbox-state', 'sb.ready', 'ready')
  })
  doc.addEventListener('kubelab:sandbox', e => {
    sbState = e.detail.state
    if (sbState !== 'ready') synced = false
    const extra = sbState === 'ready' && !synced ? t('sb.reading') : e.detail.message
    setText('sandbox-state', 'sb.' + sbState, sbState, extra)
  })
  doc.addEventListener('kubelab:verdict', e => applyVerdict(doc, e.detail, d.lab))
  doc.addEventListener('kubelab:hint', e => showHint(doc, e.detail.text, 'instructor'))

  let current = null; let want = ''; let moment = null; let shownExtra = {}
  async function show (name, extra = {}) {
    shownExtra = extra
    if (!host || !DIAGRAMS.includes(name)) { if (host && name === 'none') { current?.destroy(); current = null; host.hidden = true } return null }
    want = name
    host.hidden = false
    host.dataset.diagram = name
    for (const b of doc.querySelectorAll('[data-diagram-tab]')) b.setAttribute('aria-selected', String(b.dataset.diagramTab === name))
    let mod
    try { mod = await import(`./diagrams/${name}.js`) } catch (e) {
      console.error(e); host.textContent = t('diagram.loadFail'); return null
    }
    if (want !== name) return null
    current?.destroy()
    const { kind, name: objName, namespace } = host.dataset
    current = mod.mount(host, moment || store, { kind, name: objName, namespace, ...extra })
    return current
  }
  const onTab = e => {
    const b = e.target.closest?.('[data-diagram-tab]')
    if (b) { e.preventDefault(); show(b.dataset.diagramTab) }
  }
  doc.addEventListener('click', onTab)
  doc.addEventListener('kubelab:explain', e => show('why-here', { name: e.detail.name, podNamespace: e.detail.namespace }))

  bindCopy(doc)
  const layout = bindLayout(doc)
  const cEl = doc.getElementById('console'); const eEl = doc.getElementById('editor')
  const consoleW = cEl && mountConsole(cEl)
  const editorW = eEl && mountEditor(eEl, { storageKey: `kubelab.editor.${d.lab || ''}.${d.step || ''}` })
  // the history scrubber: the diagrams draw a past moment from a store of their own
  const scrubEl = doc.getElementById('scrubber')
  const scrubber = scrubEl && mountScrubber(scrubEl, {
    doc,
    onMoment (s, at) {
      const same = s && s === moment // the next moment in the same store: the diagram follows it
      moment = s
      if (host) { if (s) host.dataset.moment = String(at); else delete host.dataset.moment }
      if (!same && host?.dataset.diagram) show(host.dataset.diagram, shownExtra)
    }
  })
  // "start this step again": under the step's checks, once the server kept the step's start
  const checksEl = doc.querySelector('.lab-checks')
  const rewind = checksEl && d.lab && d.step && mountRewind(checksEl, { lab: d.lab, step: d.step, doc, onDone: () => scrubber?.live() })
  const drillsEl = doc.getElementById('drills')
  const drills = drillsEl && mountDrills(drillsEl, store, { doc })
  const conn = connectImpl({ store, target: doc })
  const first = d.diagram || host?.dataset.diagram || doc.querySelector('[data-diagram-tab]')?.dataset.diagramTab
  const ready = first ? show(first) : Promise.resolve(null)
  return { store, conn, show, ready, layout, drills, scrubber, rewind, console: consoleW, editor: editorW, get diagram () { return current } }
}

if (globalThis.document?.getElementById('lab') && !globalThis.KUBELAB_NO_AUTOSTART) globalThis.kubelab = start()
