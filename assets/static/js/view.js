// A tiny keyed DOM patcher for the diagrams, plus the mount() plumbing they share.
// h() describes elements; patch() makes a parent's children match, reusing elements by key.
// A new keyed element is inserted as is (CSS class kl-pop animates it in); a removed keyed
// element gets class kl-leave and goes after its fade-out (at once under reduced motion).

import { lang } from './i18n.js'
import { trunc, mid } from './diagrams/common.js'

const SVGNS = 'http://www.w3.org/2000/svg'

/** h returns a virtual element. attrs.key identifies it among its siblings; on* attrs are handlers. */
export function h (tag, attrs, ...kids) {
  return { tag, attrs: attrs || {}, kids: clean(kids) }
}
const clean = vs => vs.flat(Infinity).filter(k => k != null && k !== false && k !== '')

/** empty is what render() returns when there is nothing to draw. */
export const empty = text => ({ w: 720, h: 90, label: text, nodes: [h('text', { x: 360, y: 50, 'text-anchor': 'middle', class: 'kl-empty' }, text)] })

/** text returns a <text> kept within width by fit() (mid: shorten in the middle, for pod names). */
export const text = (attrs, s, width, m) => h('text', { ...attrs, 'data-fit': Math.floor(width), 'data-mid': m || null }, (m ? mid : trunc)(s, Math.floor(width / 6)))

// fitted remembers what fit() made of a text (by class, width, end kept and text), so that a
// redraw of the same texts (the next moment of a scrubbed history, a live update) measures nothing
// again and writes each text once: prefit() puts the fitted texts it knows into the virtual
// elements before patch(), fit() measures the others after it.
const fitted = new Map()
const FITTED_MAX = 5000
const fitKey = (cls, width, m, s) => `${cls || ''}|${width}|${m ? 1 : 0}|${s}`

/** prefit marks vs' texts with a data-fit attribute and writes the fitted form fit() found for them before. */
export function prefit (vs) {
  for (const v of vs) {
    if (typeof v !== 'object') continue
    const a = v.attrs
    if (a['data-fit'] != null && v.kids.length === 1 && typeof v.kids[0] !== 'object') {
      v.fit = fitKey(a.class, a['data-fit'], a['data-mid'] != null, String(v.kids[0]))
      const known = fitted.get(v.fit)
      if (known !== undefined) { v.kids = [known]; v.fitted = true }
    } else prefit(v.kids)
  }
}

// texts are measured on a canvas in the font their element is drawn in (read from its computed
// style, which needs no layout, once per fit() for the texts of the same classes under the same
// classes: the diagrams' fonts come from their classes); where there is no canvas, by the SVG
// element itself
let canvas2d; let lastFont = ''
function measurer (root) {
  const doc = root.ownerDocument
  if (canvas2d === undefined) {
    try { canvas2d = doc.createElement('canvas').getContext?.('2d') || null } catch { canvas2d = null }
  }
  const view = doc.defaultView
  if (canvas2d && typeof canvas2d.measureText === 'function' && view?.getComputedStyle) {
    const fonts = new Map()
    const fontOf = el => {
      let key = ''
      for (let x = el; x && x !== root; x = x.parentNode) key += (x.getAttribute?.('class') || '') + '<'
      let font = fonts.get(key)
      if (font === undefined) {
        const cs = view.getComputedStyle(el)
        fonts.set(key, font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`)
      }
      return font
    }
    return (el, t, s) => {
      const font = fontOf(el)
      if (font !== lastFont) canvas2d.font = lastFont = font
      return canvas2d.measureText(s).width
    }
  }
  return (el, t, s) => {
    if (typeof el.getComputedTextLength !== 'function') return -1
    if (t.data !== s) t.data = s
    return el.getComputedTextLength()
  }
}

/** fit shortens texts with a data-fit="<width>" attribute that are wider than that (data-mid: keep the end). */
export function fit (root) {
  const todo = []
  for (const el of root.querySelectorAll('text[data-fit]')) {
    const t = el.firstChild
    const v = el.__v // what patch() drew it from
    if (!t || t.nodeType !== 3 || v?.fitted) continue
    const key = v?.fit || fitKey(el.getAttribute('class'), el.getAttribute('data-fit'), el.hasAttribute('data-mid'), t.data)
    const known = fitted.get(key)
    if (known !== undefined) { if (t.data !== known) t.data = known; if (v) v.fitted = true; continue }
    todo.push({ el, v, t, key, full: t.data })
  }
  if (!todo.length) return
  const measure = measurer(root)
  // measure every new text first (one layout at most), then shorten the few that are too wide
  for (const x of todo) x.w = measure(x.el, x.t, x.full)
  if (fitted.size + todo.length > FITTED_MAX) fitted.clear()
  for (const { el, v, t, key, full, w: w0 } of todo) {
    if (w0 < 0) return // nothing here can measure a text
    const max = +el.getAttribute('data-fit')
    let w = w0; let n = full.length; let s = full
    if (w > max) {
      n = Math.floor(n * max / w)
      const cut = k => el.hasAttribute('data-mid') && k > 10 ? full.slice(0, k - 7) + '…' + full.slice(-6) : full.slice(0, k - 1) + '…'
      while (n > 3) { s = cut(n); if ((w = measure(el, t, s)) <= max) break; n-- }
    }
    if (t.data !== s) t.data = s
    if (w > 0) { fitted.set(key, s); if (v) v.fitted = true } // a text not laid out (hidden) may measure 0: measure it again later
  }
}

/** reducedMotion reports whether the user asked for less motion. */
let motionQuery
export const reducedMotion = () => !!(motionQuery ??= globalThis.matchMedia?.('(prefers-reduced-motion: reduce)') || false).matches

function setAttrs (el, a, old = {}) {
  for (const k in old) {
    if (!(k in a) && k !== 'key') k.startsWith('on') ? (el[k.toLowerCase()] = null) : el.removeAttribute(k)
  }
  for (const k in a) {
    const v = a[k]
    if (k === 'key' || old[k] === v) continue
    if (k.startsWith('on')) el[k.toLowerCase()] = v
    else if (v == null || v === false) el.removeAttribute(k)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
}

function create (doc, v, ns) {
  if (typeof v !== 'object') return doc.createTextNode(String(v))
  const svg = v.tag === 'svg' || (ns === SVGNS && v.tag !== 'foreignObject')
  const el = svg ? doc.createElementNS(SVGNS, v.tag) : doc.createElement(v.tag)
  setAttrs(el, v.attrs)
  el.__v = v
  patchKids(el, v.kids, true)
  return el
}

// update makes el (of v's kind and tag) match v
function update (el, v, quick) {
  if (typeof v !== 'object') { if (el.data !== String(v)) el.data = String(v); return }
  setAttrs(el, v.attrs, el.__v?.attrs)
  el.__v = v
  patchKids(el, v.kids, quick)
}

const keyFor = (v, i) => typeof v !== 'object' ? '#t' + i : (v.attrs.key != null ? 'k' + v.attrs.key : v.tag + '#' + i)

// same reports whether parent's children are already vs' (same keys, kinds and tags, in order,
// none leaving): the usual redraw, where they are updated in place
function same (parent, vs) {
  let n = parent.firstChild
  for (let i = 0; i < vs.length; i++, n = n.nextSibling) {
    const v = vs[i]
    if (!n || n.__leaving || n.__k !== keyFor(v, i)) return false
    if (typeof v === 'object' ? n.nodeType !== 1 || n.localName !== v.tag : n.nodeType === 1) return false
  }
  return n === null
}

/**
 * patch makes parent's children match the virtual list vs. quick removes what goes away at once
 * (no fade-out): under reduced motion, and for a diagram that jumps between moments of the
 * history rather than following the live cluster.
 */
export function patch (parent, vs, quick = reducedMotion()) {
  patchKids(parent, clean(vs), quick)
}

function patchKids (parent, vs, quick) {
  if (same(parent, vs)) {
    let el = parent.firstChild
    for (const v of vs) { update(el, v, quick); el = el.nextSibling }
    return
  }
  const doc = parent.ownerDocument
  const ns = parent.namespaceURI
  const old = new Map()
  for (const n of [...parent.childNodes]) {
    if (n.__leaving) continue
    if (n.__k == null) { n.remove(); continue }
    old.set(n.__k, n)
  }
  const keys = vs.map(keyFor)
  const keep = new Set(keys)
  let ref = null // the node after which the next one goes
  vs.forEach((v, i) => {
    const k = keys[i]
    let el = old.get(k)
    if (el && (typeof v === 'object') !== (el.nodeType === 1)) el = null
    if (el && typeof v === 'object' && el.localName !== v.tag) el = null
    if (el) {
      old.delete(k)
      update(el, v, quick)
    } else el = create(doc, v, ns)
    el.__k = k
    let want = ref ? ref.nextSibling : parent.firstChild
    while (want && (want.__leaving || !keep.has(want.__k))) want = want.nextSibling // skip the ones going away
    if (want !== el) parent.insertBefore(el, want)
    ref = el
  })
  for (const [k, el] of old) {
    if (quick || !k.startsWith('k') || el.nodeType !== 1) { el.remove(); continue }
    el.__leaving = true
    el.classList.add('kl-leave')
    setTimeout(() => el.remove(), 400)
  }
}

/**
 * mountDiagram wires a diagram: it renders render(model(store, options), ctx) into el, again when
 * the store changes one of kinds (all kinds if none), and on language change. render returns
 * {w, h, label, nodes} for an SVG drawing, or {html: [vnodes]} for an HTML one.
 * onChange(change, ctx) runs on every store change before the redraw; onMount(ctx) after the first
 * drawing; onRender(ctx) after each; ctx.timers are cleared on destroy.
 */
export function mountDiagram (el, store, options = {}, { name, model, render, kinds, onChange, onMount, onRender, onDestroy }) {
  const doc = el.ownerDocument
  const root = doc.createElement('div')
  root.className = 'kl-diagram kl-' + name
  // a store of the history's moments (store.past) jumps from one moment to another: nothing pops
  // in or fades out, the drawing is that moment at once
  const past = !!store.past
  if (past) root.classList.add('kl-past')
  el.replaceChildren(root)
  // a finished pop-in must not replay when its element moves in the DOM
  root.addEventListener('animationend', e => e.animationName === 'kl-in' && e.target.classList.remove('kl-pop'))
  const ctx = { root, store, options, svg: null, layer: null, overlay: null, model: null, timers: new Set(), update }
  let queued = false; let dead = false
  const raf = globalThis.requestAnimationFrame || (f => setTimeout(f, 16))

  function update () {
    queued = false
    if (dead) return
    const m = model(store, { ...options, lang: options.lang || lang(), now: Date.now(), ...ctx.extra })
    ctx.model = m
    const out = render(m, ctx)
    if (out.html) {
      if (ctx.svg) { ctx.svg.remove(); ctx.svg = null }
      let box = [...root.children].find(c => c.className === 'kl-html')
      if (!box) { box = doc.createElement('div'); box.className = 'kl-html'; root.append(box) }
      patch(box, out.html, past || reducedMotion())
      onRender?.(ctx)
      return
    }
    if (!ctx.svg) {
      const svg = doc.createElementNS(SVGNS, 'svg')
      svg.setAttribute('role', 'img')
      svg.setAttribute('preserveAspectRatio', 'xMidYMin meet')
      const title = doc.createElementNS(SVGNS, 'title')
      ctx.layer = doc.createElementNS(SVGNS, 'g')
      ctx.overlay = doc.createElementNS(SVGNS, 'g')
      ctx.overlay.setAttribute('class', 'kl-overlay')
      svg.append(title, ctx.layer, ctx.overlay)
      root.append(svg)
      ctx.svg = svg
    }
    // a moment of the history is drawn no shorter than the moments drawn before it on the same
    // store: the page under the diagram does not move (nor is laid out and painted again) as the
    // learner scrubs. What did not change is not written again.
    if (past) ctx.tallest = Math.max(ctx.tallest || 0, out.h)
    const box = `0 0 ${out.w} ${past ? ctx.tallest : out.h}`
    if (ctx.svg.getAttribute('viewBox') !== box) ctx.svg.setAttribute('viewBox', box)
    if (ctx.svg.firstChild.textContent !== (out.label || '')) ctx.svg.firstChild.textContent = out.label || ''
    const nodes = clean(out.nodes)
    prefit(nodes)
    patch(ctx.layer, nodes, past || reducedMotion())
    fit(ctx.layer)
    onRender?.(ctx)
  }
  const schedule = ctx.schedule = () => { if (!queued && !dead) { queued = true; raf(update) } }
  const unsub = store.subscribe(ch => {
    onChange?.(ch, ctx)
    if (!kinds || kinds.some(k => ch.kinds.has(k))) schedule()
  })
  const mo = globalThis.MutationObserver && new globalThis.MutationObserver(schedule)
  mo?.observe(doc.documentElement, { attributes: true, attributeFilter: ['lang'] })
  update()
  onMount?.(ctx)
  return {
    update,
    destroy () {
      dead = true; unsub(); mo?.disconnect()
      for (const t of ctx.timers) { clearTimeout(t); clearInterval(t) }
      onDestroy?.(ctx)
      root.remove()
    }
  }
}
