// One student's page for their instructor. It reads <main id="student" data-class data-user
// data-i18n>, follows GET /class/{id}/students/{uid}/ws (the student's own stream format,
// docs/stream.md, read-only) into a store, draws the student's live cluster map into #diagram
// and keeps the sandbox badge (#student-sandbox), the progress cells ([data-cell]) and the
// connection state (#dash-conn) current; a scrubber under the map draws the student's cluster as
// it was at any recorded moment.

import { createStore } from './store.js'
import { connect, wsURL } from './stream.js'
import { words, localTimes, setCell, recount, applySandbox, showConnection } from './dashboard.js'
import { mountScrubber } from './scrubber.js'
import { lang as pageLang, pick } from './i18n.js'

/** start wires the page; it returns {store, conn, ready}. */
export function start (doc = globalThis.document, { connectImpl = connect } = {}) {
  const main = doc.getElementById('student')
  const { class: cls, user } = main?.dataset || {}
  const w = words(main)
  const lang = pageLang(doc)
  localTimes(doc, lang)
  const store = createStore()
  doc.addEventListener('kubelab:connection', e => showConnection(doc, e.detail.state, w))
  doc.addEventListener('kubelab:sandbox', e => applySandbox(doc, { ...e.detail, user }, w))
  doc.addEventListener('kubelab:verdict', e => {
    const v = e.detail
    const msg = (v.checks || []).filter(c => !c.passed).map(c => pick(c, 'message', lang)).filter(Boolean).join('; ')
    for (const el of doc.querySelectorAll(`[data-cell="${user}|${v.lab}|${v.step}"]`)) setCell(el, v.passed ? 'passed' : 'failed', msg, w)
    recount(doc, user)
  })
  const conn = connectImpl({ store, target: doc, url: wsURL(`/class/${cls}/students/${user}/ws`) })
  const host = doc.getElementById('diagram')
  let map = null
  const draw = s => import('./diagrams/cluster-map.js').then(m => { map?.destroy(); map = m.mount(host, s, {}); return map })
  const ready = host ? draw(store).catch(e => { console.error(e); return null }) : Promise.resolve(null)
  // the same scrubber as the student's, over the student's recorded history (read-only)
  const scrubEl = doc.getElementById('scrubber')
  let shown = null
  const scrubber = host && scrubEl && mountScrubber(scrubEl, {
    doc,
    base: `/class/${cls}/students/${user}/history`,
    onMoment (s, at) {
      const same = s && s === shown // the next moment in the same store: the map follows it
      shown = s
      if (s) host.dataset.moment = String(at); else delete host.dataset.moment
      if (!same) draw(s || store).catch(e => console.error(e))
    }
  })
  return { store, conn, ready, scrubber }
}

if (globalThis.document?.getElementById('student') && !globalThis.KUBELAB_NO_AUTOSTART) globalThis.kubelabStudent = start()
