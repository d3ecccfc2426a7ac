// Class dashboard glue. It reads <main id="dashboard" data-class data-lab data-i18n>, follows the
// dashboard websocket (GET /class/{id}/ws: snapshot, then cell, row, sandbox, activity, roster and
// quiz messages) and updates the heat map cells ([data-cell="<user>|<lab>|<step>"]), the sandbox
// badges ([data-sandbox-of]), activity ([data-activity-of]), counts ([data-passed-of]), the quiz
// results (#quiz-stats, refetched) and the completion plot (#completion, refetched). A new student,
// or a lab opened for the first time in the class, refetches the table (#heatmap). Every word it
// writes comes from data-i18n (web/i18n.yaml).

import { keepOpen, wsURL } from './reconnect.js'
import { lang as pageLang, pick } from './i18n.js'

const esc = s => String(s).replace(/["\\]/g, '\\$&')

/** words parses the data-i18n of the page's main element. */
export function words (main) {
  try { return JSON.parse(main?.getAttribute('data-i18n') || '{}') } catch { return {} }
}

/** localTimes shows every <time datetime> under root in the browser's time zone. */
export function localTimes (root, lang) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    const d = new Date(el.getAttribute('datetime'))
    if (!isNaN(d)) el.textContent = d.toLocaleString(lang === 'en' ? 'en-US' : 'ko-KR', { dateStyle: 'short', timeStyle: 'short' })
  }
}

/** showConnection shows the websocket's state in #dash-conn. */
export function showConnection (doc, state, w) {
  const el = doc.getElementById('dash-conn')
  if (el) { el.dataset.state = state; el.textContent = w['conn.' + state] || state }
}

/** messageOf picks a cell message in the page's language. */
export const messageOf = (m, l) => pick(m, 'message', l)

/** setCell updates one cell element; it returns true if its state changed. */
export function setCell (el, state, message, w) {
  const changed = el.dataset.state !== state
  el.dataset.state = state
  const title = `${el.dataset.name || ''}: ${w['cell.' + state] || state}${state === 'failed' && message ? ' — ' + message : ''}`
  el.title = title
  const sr = el.querySelector('.kl-sr')
  if (sr) sr.textContent = title
  return changed
}

/** recount writes "<passed>/<total>" into [data-passed-of="<user>"]. */
export function recount (doc, user) {
  const n = doc.querySelectorAll(`[data-cell^="${esc(user)}|"][data-state="passed"]`).length
  for (const el of doc.querySelectorAll(`[data-passed-of="${esc(user)}"]`)) el.textContent = `${n}/${el.dataset.total || '?'}`
}

/** applyCell applies one cell message; it returns the elements that changed. */
export function applyCell (doc, m, w, lang) {
  const key = `${m.user}|${m.lab}|${m.step}`
  const changed = []
  for (const el of doc.querySelectorAll(`[data-cell="${esc(key)}"]`)) {
    if (setCell(el, m.state, messageOf(m, lang), w)) {
      changed.push(el)
      el.classList.remove('is-new'); void el.offsetWidth; el.classList.add('is-new')
    }
  }
  if (changed.length) recount(doc, m.user)
  return changed
}

/** applySandbox shows a student's sandbox state. */
export function applySandbox (doc, m, w) {
  for (const el of doc.querySelectorAll(`[data-sandbox-of="${esc(m.user)}"]`)) {
    el.dataset.state = m.state || ''
    el.textContent = w['sb.' + (m.state || 'none')] || m.state
    el.title = m.message || ''
  }
}

/** applyActivity shows a student's last activity. */
export function applyActivity (doc, m, lang) {
  for (const el of doc.querySelectorAll(`[data-activity-of="${esc(m.user)}"]`)) {
    const t = doc.createElement('time')
    t.setAttribute('datetime', m.at)
    el.replaceChildren(t)
    localTimes(el, lang)
  }
}

/** missingLab reports whether a cell message is for a lab the table has no columns for. */
export const missingLab = (doc, m) => !doc.querySelector(`[data-lab-col="${esc(m.lab)}"]`)

/**
 * applySnapshot makes every cell of the students in the snapshot match it (cells it does not
 * name are not started). It returns true when the table's students differ from the snapshot's.
 */
export function applySnapshot (doc, snap, w, lang) {
  const shown = new Set([...doc.querySelectorAll('tr[data-user]')].map(r => r.dataset.user))
  const inSnap = new Set((snap.students || []).map(String))
  const have = new Map()
  for (const c of snap.cells || []) have.set(`${c.user}|${c.lab}|${c.step}`, c)
  for (const el of doc.querySelectorAll('[data-cell]')) {
    const c = have.get(el.dataset.cell)
    setCell(el, c ? c.state : 'pending', c ? messageOf(c, lang) : '', w)
  }
  for (const u of inSnap) recount(doc, u)
  for (const s of Object.values(snap.sandboxes || {})) applySandbox(doc, s, w)
  return shown.size !== inSnap.size || [...inSnap].some(u => !shown.has(u))
}

/** start wires the dashboard page; it returns {close(), state, log}. */
export function start (doc = globalThis.document, {
  WebSocketImpl = globalThis.WebSocket, fetchImpl = globalThis.fetch?.bind(globalThis), minDelay = 500, maxDelay = 15000
} = {}) {
  const main = doc.getElementById('dashboard') || doc.getElementById('student')
  const id = main?.dataset.class
  const lab = main?.dataset.lab || ''
  const w = words(main)
  const lang = pageLang(doc)
  // log records every cell that changed, with the server's publish time: for latency figures.
  const api = { state: 'connecting', log: [], close }
  const timers = {}

  localTimes(doc, lang)
  const conn = s => { api.state = s; showConnection(doc, s, w) }
  const later = (name, ms, fn) => { clearTimeout(timers[name]); timers[name] = setTimeout(fn, ms) }
  const q = lab ? `?lab=${encodeURIComponent(lab)}` : ''
  async function refetch (path, target, after) {
    try {
      const res = await fetchImpl(`/class/${id}${path}${q}`, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      if (!res.ok) return
      const html = await res.text()
      const el = doc.getElementById(target)
      if (el) { el.innerHTML = html; localTimes(el, lang); after?.() }
    } catch {}
  }
  // In the "labs in use" view a lab opened for the first time gets its columns.
  const grows = m => lab === '' && missingLab(doc, m)
  const rows = () => refetch('/heatmap', 'heatmap', () => {
    const n = doc.querySelectorAll('#heat-rows tr[data-user]').length
    const count = doc.getElementById('student-count')
    if (count && w.students) count.textContent = w.students.replace('{n}', n)
    reconnect()
  })
  const plot = () => later('plot', 1500, () => refetch('/completion.svg', 'completion'))
  const quiz = () => later('quiz', 500, () => refetch('/quiz', 'quiz-stats'))

  function onMessage (m) {
    switch (m.type) {
      case 'snapshot':
        sock.opened()
        conn('open')
        if (applySnapshot(doc, m, w, lang) || (m.cells || []).some(grows)) later('rows', 50, rows)
        break
      case 'cell': {
        if (grows(m)) { later('rows', 200, rows); break }
        const changed = applyCell(doc, m, w, lang)
        if (changed.length) {
          api.log.push({ key: `${m.user}|${m.lab}|${m.step}`, state: m.state, at: Date.now(), serverAt: m.at })
          if (api.log.length > 500) api.log.splice(0, 250)
          if (m.state === 'passed') plot()
        }
        break
      }
      case 'row':
        if ((m.cells || []).some(grows)) { later('rows', 200, rows); break }
        for (const c of m.cells || []) if (applyCell(doc, c, w, lang).length && c.state === 'passed') plot()
        break
      case 'sandbox': applySandbox(doc, m, w); break
      case 'activity': applyActivity(doc, m, lang); break
      case 'roster': later('rows', 200, rows); plot(); break
      case 'quiz': quiz(); break
    }
  }

  const sock = keepOpen({ url: wsURL(`/class/${id}/ws`), WebSocketImpl, minDelay, maxDelay, onMessage, onState: conn })
  // reconnect gets a fresh snapshot (after the rows were replaced).
  const reconnect = () => sock.reconnect()
  function close () {
    for (const t of Object.values(timers)) clearTimeout(t)
    sock.close()
  }
  if (id) sock.start()
  return api
}

if (globalThis.document?.getElementById('dashboard') && !globalThis.KUBELAB_NO_AUTOSTART) globalThis.kubelabDashboard = start()
