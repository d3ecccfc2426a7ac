// History scrubber: under the diagrams, drag back in time and the diagrams draw the cluster as it
// was at that moment (GET /api/history?at=UNIX_MS, docs/history.md), play the interval back at
// 1/4x to 4x, or return to live. The moment's objects go into a store of their own, so the live
// store (and the grader's view) never changes.

import { h, patch } from './view.js'
import { t } from './i18n.js'
import { createStore } from './store.js'

export const SPEEDS = [0.25, 0.5, 1, 2, 4]
const TICK = 250 // ms between frames while playing

/** clock formats a moment as HH:MM:SS (local time). */
export const clock = ms => new Date(ms).toTimeString().slice(0, 8)

const fmt = v => v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v)
const label = o => `${o.kind} ${o.namespace ? o.namespace + '/' : ''}${o.name}`

/**
 * diffLines turns GET /api/history/diff's answer into lines to show: objects added (+), removed
 * (−) and changed (~) with each field change "path: before → after"; Events left out (they only
 * ever appear). Returns {counts: {added, removed, changed}, lines: [{sign, text, fields}]}.
 */
export function diffLines (d = {}) {
  const keep = o => o.kind !== 'Event'
  const added = (d.added || []).filter(keep); const removed = (d.removed || []).filter(keep); const changed = (d.changed || []).filter(keep)
  const lines = [
    ...added.map(o => ({ sign: '+', text: label(o), fields: [] })),
    ...removed.map(o => ({ sign: '−', text: label(o), fields: [] })),
    ...changed.map(c => ({ sign: '~', text: label(c), fields: (c.changes || []).map(f => `${f.path}: ${fmt(f.before)} → ${fmt(f.after)}`) }))
  ]
  return { counts: { added: added.length, removed: removed.length, changed: changed.length }, lines }
}

/** storeAt builds a store holding the objects of one moment. */
export function storeAt (objects, seq = 1) {
  const s = createStore()
  s.apply({ type: 'snapshot', seq, objects })
  return s
}

/**
 * mountScrubber draws the scrubber into el. onMoment(store, at) is called with a store of the
 * moment's objects, or onMoment(null) for live. base is the history URL (an instructor's view of
 * a student uses /class/{id}/students/{uid}/history).
 */
export function mountScrubber (el, { onMoment, base = '/api/history', fetchImpl = globalThis.fetch, doc = globalThis.document, now = () => Date.now() } = {}) {
  const box = doc.createElement('div')
  box.className = 'kl-scrubber'
  el.append(box)
  const st = { first: null, last: null, at: null, live: true, speed: 1, playing: false, message: '', loading: false, diff: null }
  let timer = null; let want = 0; let dead = false

  const get = async url => {
    const res = await fetchImpl(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    const data = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`)
    return data
  }
  async function range () {
    try {
      const r = await get(`${base}/range`)
      st.first = r.first || null; st.last = Math.max(r.last || 0, r.now || now())
      st.message = st.first ? '' : t('hs.empty')
    } catch (e) { st.message = String(e.message || e) }
    draw()
  }
  async function show (at) {
    const ticket = ++want
    st.at = Math.round(at); st.live = false; st.loading = true; draw()
    try {
      const data = await get(`${base}?at=${st.at}`)
      if (dead || ticket !== want) return
      st.loading = false; st.message = ''
      onMoment?.(storeAt(data.objects || []), st.at)
    } catch (e) {
      if (ticket !== want) return
      st.loading = false; st.message = String(e.message || e)
    }
    draw()
  }
  async function compare () {
    if (st.live || st.at == null) return
    try {
      const to = now()
      const d = await get(`${base}/diff?from=${st.at}&to=${to}`)
      st.diff = { from: st.at, ...diffLines(d) }
    } catch (e) { st.message = String(e.message || e) }
    draw()
  }
  function live () {
    stop(); want++
    st.live = true; st.at = null; st.message = ''; st.diff = null
    onMoment?.(null)
    range()
  }
  function stop () { clearInterval(timer); timer = null; st.playing = false }
  function play () {
    if (st.first == null) return
    if (st.live || st.at >= st.last) st.at = st.first
    st.playing = true
    clearInterval(timer)
    timer = setInterval(() => {
      const next = st.at + TICK * st.speed
      if (next >= st.last) { stop(); show(st.last); return }
      show(next)
    }, TICK)
    show(st.at)
  }
  function draw () {
    const lo = st.first ?? 0; const hi = st.last ?? 0
    patch(box, [
      h('div', { class: 'kl-scrub-row' }, [
        h('button', { type: 'button', class: 'kl-btn', 'data-scrub': 'play', disabled: st.first == null, onclick: () => st.playing ? (stop(), draw()) : play() }, st.playing ? t('hs.pause') : t('hs.play')),
        h('select', { 'aria-label': t('hs.speed'), onchange: e => { st.speed = +e.target.value } },
          SPEEDS.map(s => h('option', { value: String(s), selected: s === st.speed }, `${s}x`))),
        h('input', {
          type: 'range', min: String(lo), max: String(hi), step: '100', value: String(st.at ?? hi), disabled: st.first == null,
          'aria-label': t('hs.title'), oninput: e => { stop(); show(+e.target.value) }
        }),
        h('button', { type: 'button', class: 'kl-btn' + (st.live ? ' is-live' : ''), 'data-scrub': 'live', 'aria-pressed': String(st.live), onclick: live }, t('hs.live')),
        h('button', { type: 'button', class: 'kl-btn', 'data-scrub': 'compare', disabled: st.live, onclick: compare }, t('hs.compare'))
      ]),
      st.diff
        ? h('div', { class: 'kl-scrub-diff' }, [
            h('p', null, t('hs.diff', { time: clock(st.diff.from), ...st.diff.counts })),
            h('ul', null, st.diff.lines.map((l, i) => h('li', { key: i, class: 'd-' + (l.sign === '+' ? 'add' : l.sign === '~' ? 'chg' : 'del') }, [
              `${l.sign} ${l.text}`, l.fields.length ? h('ul', null, l.fields.map((f, j) => h('li', { key: j }, h('code', null, f)))) : null])))
          ])
        : null,
      h('p', { class: 'kl-scrub-at', 'aria-live': 'polite' },
        st.message || (st.live ? t('hs.isLive') : t('hs.at', { time: clock(st.at) }) + (st.loading ? ' …' : '')))
    ])
    const input = box.querySelector('input[type="range"]')
    if (input) input.value = String(st.at ?? hi) // the attribute alone does not move a slider once touched
  }
  draw()
  range()
  return {
    show, live, play, stop, state: st,
    destroy () { dead = true; stop(); box.remove() }
  }
}
