// One student's page for their instructor. It reads <main id="student" data-class data-user
// data-i18n>, follows GET /class/{id}/students/{uid}/ws (the student's own stream format,
// docs/stream.md, read-only) into a store, draws the student's live cluster map into #diagram
// and keeps the sandbox badge (#student-sandbox), the progress cells ([data-cell]) and the
// connection state (#dash-conn) current.

import { createStore } from './store.js'
import { connect, wsURL } from './stream.js'
import { words, localTimes, setCell, recount, applySandbox } from './dashboard.js'

/** start wires the page; it returns {store, conn, ready}. */
export function start (doc = globalThis.document, { connectImpl = connect } = {}) {
  const main = doc.getElementById('student')
  const { class: cls, user } = main?.dataset || {}
  const w = words(main)
  const lang = doc.documentElement.lang === 'en' ? 'en' : 'ko'
  localTimes(doc, lang)
  const store = createStore()
  doc.addEventListener('kubelab:connection', e => {
    const el = doc.getElementById('dash-conn')
    if (el) { el.dataset.state = e.detail.state; el.textContent = w['conn.' + e.detail.state] || e.detail.state }
  })
  doc.addEventListener('kubelab:sandbox', e => applySandbox(doc, { ...e.detail, user }, w))
  doc.addEventListener('kubelab:verdict', e => {
    const v = e.detail
    const msg = (v.checks || []).filter(c => !c.passed).map(c => (lang === 'en' ? c.messageEn : c.messageKo) || c.message).filter(Boolean).join('; ')
    for (const el of doc.querySelectorAll(`[data-cell="${user}|${v.lab}|${v.step}"]`)) setCell(el, v.passed ? 'passed' : 'failed', msg, w)
    recount(doc, user)
  })
  const conn = connectImpl({ store, target: doc, url: wsURL(`/class/${cls}/students/${user}/ws`) })
  const host = doc.getElementById('diagram')
  const ready = host
    ? import('./diagrams/cluster-map.js').then(m => m.mount(host, store, {})).catch(e => { console.error(e); return null })
    : Promise.resolve(null)
  return { store, conn, ready }
}

if (globalThis.document?.getElementById('student') && !globalThis.KUBELAB_NO_AUTOSTART) globalThis.kubelabStudent = start()
