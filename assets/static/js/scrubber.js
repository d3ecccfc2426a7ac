// History scrubber: under the diagrams, drag back in time and the diagrams draw the cluster as it
// was at that moment (GET /api/history?at=UNIX_MS, docs/history.md), play the interval back at
// 1/4x to 4x, or return to live. The moment's objects go into a store of their own, so the live
// store (and the grader's view) never changes.

import { h, patch } from './view.js'
import { t } from './i18n.js'
import { createStore, keyOf } from './store.js'

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

/** MARK_KINDS are the kinds of marks GET /api/history/marks answers (docs/history.md). */
export const MARK_KINDS = ['command', 'apply', 'verdict', 'rewind']

/** markLabel is a mark's text for its tooltip and the compare lists: "Command: kubectl get pods". */
export function markLabel (m) {
  const key = m.kind === 'verdict' ? (m.passed ? 'hs.mark.pass' : 'hs.mark.fail') : 'hs.mark.' + m.kind
  return t(key, { text: m.text || m.step || '' })
}

/**
 * markSpots places marks on a slider from first to last: [{mark, pct}] with pct in 0..100;
 * marks outside the range are left out.
 */
export function markSpots (marks = [], first, last) {
  if (first == null || last == null || last <= first) return []
  return marks.filter(m => m.at >= first && m.at <= last && MARK_KINDS.includes(m.kind))
    .map(m => ({ mark: m, pct: Math.round((m.at - first) / (last - first) * 10000) / 100 }))
}

/** storeAt builds a store holding the objects of one moment. */
export function storeAt (objects, seq = 1) {
  const s = createStore()
  s.apply({ type: 'snapshot', seq, objects })
  return s
}

/** CHECKPOINT is how many recorded changes lie between two states the kept log keeps whole. */
export const CHECKPOINT = 256
/** FRESH (ms): a moment this close to the kept log's end is asked for again (later changes may share it). */
const FRESH = 1000

function replay (state, e) {
  if (e.op === 'snapshot') {
    state.clear()
    for (const o of e.objects || []) state.set(keyOf(o), o)
  } else if (e.op === 'upsert' && e.obj) state.set(keyOf(e.obj), e.obj)
  else if (e.op === 'delete' && e.obj) state.delete(keyOf(e.obj))
}

/**
 * createKeptLog keeps the recorded history in the page (GET {base}/log once, then only the changes
 * recorded since: docs/history.md) and rebuilds any moment from it without asking the server: the
 * state every CHECKPOINT changes is kept whole, so a moment is the nearest one before it plus at
 * most CHECKPOINT changes replayed, as the server replays them (in order, up to the first change
 * after the moment). get(url) fetches JSON.
 */
export function createKeptLog (get, base) {
  let epoch = ''; let next = 0; let baseAt = 0; let until = 0
  let entries = []; let top = []; let checkpoints = []; let tip = new Map()
  let loading = null
  function reset (objects = []) {
    tip = new Map(objects.map(o => [keyOf(o), o]))
    entries = []; top = []; checkpoints = [new Map(tip)]
  }
  function add (list) {
    for (const e of list) {
      if (entries.length && entries.length % CHECKPOINT === 0) checkpoints.push(new Map(tip))
      entries.push(e)
      top.push(Math.max(top.length ? top[top.length - 1] : -Infinity, e.t)) // times may step back a little
      replay(tip, e)
    }
  }
  /** load fetches what the page lacks (everything the first time); calls made meanwhile share it. */
  function load () {
    loading ??= (async () => {
      try {
        const d = await get(`${base}/log?epoch=${encodeURIComponent(epoch)}&from=${next}`)
        if (d.full || d.epoch !== epoch) reset(d.base || [])
        epoch = d.epoch; baseAt = d.baseAt || 0
        add(d.entries || [])
        next = (d.from || 0) + (d.entries || []).length
        until = d.now || 0
      } finally { loading = null }
    })()
    return loading
  }
  /**
   * at returns the objects at moment t, or null when the kept log cannot say (not loaded, t older
   * than its base, or too close to its end: load() again).
   */
  function at (t) {
    if (!until || t > until - FRESH || (baseAt && t < baseAt)) return null
    let lo = 0; let hi = top.length // the first change after t
    while (lo < hi) { const m = (lo + hi) >> 1; if (top[m] > t) hi = m; else lo = m + 1 }
    const c = Math.floor(lo / CHECKPOINT)
    const state = new Map(checkpoints[c])
    for (let i = c * CHECKPOINT; i < lo; i++) replay(state, entries[i])
    return [...state.values()]
  }
  return { load, at, get size () { return entries.length }, get loaded () { return until > 0 } }
}

/**
 * mountScrubber draws the scrubber into el. onMoment(store, at) is called with a store of the
 * moment's objects (the same store for every moment until Live, so a diagram on it redraws only
 * what changed), or onMoment(null) for live. base is the history URL (an instructor's view of
 * a student uses /class/{id}/students/{uid}/history).
 */
export function mountScrubber (el, { onMoment, base = '/api/history', fetchImpl = globalThis.fetch, doc = globalThis.document, now = () => Date.now() } = {}) {
  const box = doc.createElement('div')
  box.className = 'kl-scrubber'
  el.append(box)
  const st = { first: null, last: null, at: null, live: true, speed: 1, playing: false, message: '', loading: false, diff: null, marks: [], from: '', to: 'now' }
  let timer = null; let want = 0; let dead = false
  // one store for the moments shown until Live: a diagram mounted on it redraws only what changed
  // from one moment to the next instead of being drawn anew
  let moments = null; let momentSeq = 0
  // the history kept in the page once the learner reaches for the scrubber: moments are then
  // rebuilt here, without a round trip per position
  let kept = null
  const keep = () => {
    kept ??= createKeptLog(get, base)
    if (!kept.loaded) kept.load().catch(() => {})
  }
  box.addEventListener('pointerover', keep)
  box.addEventListener('focusin', keep)
  // and ahead of that, once there is a history, the scrubber is on screen and the page idle: the
  // first moments dragged to then need not wait for the log to arrive and be read
  let ahead = false
  function keepAhead () {
    const win = doc.defaultView
    if (ahead || !win?.IntersectionObserver) return
    ahead = true
    const idle = f => win.requestIdleCallback ? win.requestIdleCallback(f, { timeout: 2000 }) : win.setTimeout(f, 200)
    const io = new win.IntersectionObserver(es => {
      if (!es.some(e => e.isIntersecting)) return
      io.disconnect()
      idle(() => { if (!dead) keep() })
    })
    io.observe(box)
  }

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
      if (st.first) keepAhead()
      const m = await get(`${base}/marks`).catch(() => ({}))
      st.marks = Array.isArray(m.marks) ? m.marks : []
    } catch (e) { st.message = String(e.message || e) }
    draw()
  }
  function moment (objects) {
    st.loading = false; st.message = ''
    moments ??= createStore({ past: true })
    moments.apply({ type: 'snapshot', seq: ++momentSeq, objects })
    onMoment?.(moments, st.at)
  }
  async function show (at) {
    const ticket = ++want
    st.at = Math.round(at); st.live = false
    keep()
    const objects = kept.at(st.at)
    if (objects) { moment(objects); draw(); return }
    if (kept.loaded) kept.load().catch(() => {}) // a moment past the kept log's end: fetch what came since
    st.loading = true; draw()
    try {
      const data = await get(`${base}?at=${st.at}`)
      if (dead || ticket !== want) return
      moment(data.objects || [])
    } catch (e) {
      if (ticket !== want) return
      st.loading = false; st.message = String(e.message || e)
    }
    draw()
  }
  // compare shows what changed from one moment to another (to: a moment or 'now').
  async function compare (from = st.at, to = 'now') {
    if (from == null || from === '') return
    try {
      const end = to === 'now' ? now() : +to
      const d = await get(`${base}/diff?from=${+from}&to=${end}`)
      st.diff = { from: +from, to: to === 'now' ? null : end, ...diffLines(d) }
    } catch (e) { st.message = String(e.message || e) }
    draw()
  }
  const markOption = (m, sel) => h('option', { value: String(m.at), selected: String(m.at) === sel }, `${clock(m.at)} ${markLabel(m)}`)
  function live () {
    stop(); want++
    st.live = true; st.at = null; st.message = ''; st.diff = null
    moments = null
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
        h('div', { class: 'kl-scrub-track' }, [
          h('input', {
            type: 'range', min: String(lo), max: String(hi), step: '100', value: String(st.at ?? hi), disabled: st.first == null,
            'aria-label': t('hs.title'), oninput: e => { stop(); show(+e.target.value) }
          }),
          h('div', { class: 'kl-scrub-marks' }, markSpots(st.marks, st.first, st.last).map(({ mark, pct }, i) => {
            const tip = `${clock(mark.at)} ${markLabel(mark)}`
            return h('button', {
              key: `${mark.at}-${i}`, type: 'button', class: `kl-scrub-mark m-${mark.kind}${mark.kind === 'verdict' ? (mark.passed ? ' m-pass' : ' m-fail') : ''}`,
              style: `left: ${pct}%`, title: tip, 'aria-label': tip, 'data-mark': String(mark.at),
              onclick: () => { stop(); st.from = String(mark.at); show(mark.at) }
            })
          }))
        ]),
        h('button', { type: 'button', class: 'kl-btn' + (st.live ? ' is-live' : ''), 'data-scrub': 'live', 'aria-pressed': String(st.live), onclick: live }, t('hs.live')),
        h('button', { type: 'button', class: 'kl-btn', 'data-scrub': 'compare', disabled: st.live, onclick: () => compare(st.at, 'now') }, t('hs.compare'))
      ]),
      st.marks.length
        ? h('div', { class: 'kl-scrub-row kl-scrub-pick' }, [
            h('label', null, [t('hs.from'), ' ', h('select', { 'data-scrub': 'from', onchange: e => { st.from = e.target.value } }, [
              h('option', { value: '', selected: st.from === '' }, t('hs.pickMark')),
              ...st.marks.map(m => markOption(m, st.from))])]),
            h('label', null, [t('hs.to'), ' ', h('select', { 'data-scrub': 'to', onchange: e => { st.to = e.target.value } }, [
              ...st.marks.map(m => markOption(m, st.to)),
              h('option', { value: 'now', selected: st.to === 'now' }, t('hs.now'))])]),
            h('button', { type: 'button', class: 'kl-btn', 'data-scrub': 'compare-marks', disabled: st.from === '', onclick: () => compare(st.from, st.to) }, t('hs.compareMarks')),
            h('span', { class: 'help' }, t('hs.markHelp'))
          ])
        : null,
      st.diff
        ? h('div', { class: 'kl-scrub-diff' }, [
            h('p', null, st.diff.to
              ? t('hs.diffTo', { time: clock(st.diff.from), to: clock(st.diff.to), ...st.diff.counts })
              : t('hs.diff', { time: clock(st.diff.from), ...st.diff.counts })),
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
    show, live, play, stop, compare, state: st,
    destroy () { dead = true; stop(); box.remove() }
  }
}
