// "Start this step again": when the server kept the cluster's objects as they were at the start
// of the shown step (GET /api/labs/{lab}/rewind, docs/history.md), a button restores them
// (POST /api/labs/{lab}/steps/{step}/rewind), after a confirmation. Progress and history stay.

import { h, patch } from './view.js'
import { t } from './i18n.js'
import { clock } from './scrubber.js'

/**
 * mountRewind draws the control into el for step of lab. It shows nothing until the server
 * has the step's snapshot: it asks when mounted, when the stream says a step's start was kept
 * (kubelab:rewind on doc) and when the stream opens again (a message may have been missed).
 * onDone(result) is called after a rewind.
 */
export function mountRewind (el, { lab, step, fetchImpl = globalThis.fetch, doc = globalThis.document, onDone } = {}) {
  const box = doc.createElement('div')
  box.className = 'kl-rewind'
  box.dataset.rewind = step
  el.append(box)
  const st = { at: null, asking: false, busy: false, message: '' }
  const call = async (url, init) => {
    const res = await fetchImpl(url, { credentials: 'same-origin', headers: { Accept: 'application/json', 'Content-Type': 'application/json' }, ...init })
    const data = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`)
    return data
  }
  const base = `/api/labs/${encodeURIComponent(lab)}`
  async function refresh () {
    try {
      const d = await call(`${base}/rewind`)
      st.at = (d.steps || []).find(s => s.step === step)?.at ?? null
    } catch { st.at = null }
    draw()
  }
  async function rewind () {
    st.asking = false; st.busy = true; st.message = t('rw.working'); draw()
    try {
      const r = await call(`${base}/steps/${encodeURIComponent(step)}/rewind`, { method: 'POST', body: '{}' })
      st.message = t('rw.done', { ms: r.ms, deleted: r.deleted, created: r.created, updated: (r.updated || 0) + (r.replaced || 0) })
      onDone?.(r)
    } catch (e) { st.message = String(e.message || e) }
    st.busy = false; draw()
  }
  function draw () {
    patch(box, st.at == null
      ? []
      : [
          h('button', { type: 'button', class: 'kl-btn', 'data-rewind-ask': '', disabled: st.busy || st.asking, onclick: () => { st.asking = true; st.message = ''; draw() } }, t('rw.button')),
          h('p', { class: 'help' }, t('rw.help', { time: clock(st.at) })),
          st.asking
            ? h('div', { role: 'alertdialog', 'aria-label': t('rw.button'), class: 'kl-rewind-confirm' }, [
                h('p', null, t('rw.confirm')),
                h('button', { type: 'button', class: 'kl-btn kl-danger', 'data-rewind-yes': '', onclick: rewind }, t('rw.yes')),
                ' ',
                h('button', { type: 'button', class: 'kl-btn', 'data-rewind-no': '', onclick: () => { st.asking = false; draw() } }, t('rw.cancel'))
              ])
            : null,
          st.message ? h('p', { role: 'status' }, st.message) : null
        ])
  }
  const onKept = e => { if (e.detail?.lab === lab && e.detail?.step === step && st.at == null) refresh() }
  const onConn = e => { if (e.detail?.state === 'open') refresh() }
  doc.addEventListener('kubelab:rewind', onKept)
  doc.addEventListener('kubelab:connection', onConn)
  draw()
  refresh()
  return {
    refresh,
    rewind,
    state: st,
    destroy () {
      doc.removeEventListener('kubelab:rewind', onKept)
      doc.removeEventListener('kubelab:connection', onConn)
      box.remove()
    }
  }
}
