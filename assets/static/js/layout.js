// The lab page's layout on demand: main#lab[data-layout] is "side" (lesson and diagram side by
// side, the default), "wide" (a wider diagram side) or "below" (one column: the lesson, then
// the diagram side); [data-layout-set] buttons choose it. The diagram zoom
// ([data-diagram-zoom], #diagram[data-zoom="in"|"fit"]) shows diagrams at a size their text can
// be read at, scrolling sideways inside the diagram box; until the learner chooses, it is on
// whenever the diagram box is narrower than NARROW_BOX. Both choices are remembered in
// localStorage.

/** LAYOUTS are the layouts a lab page can take, the default first. */
export const LAYOUTS = ['side', 'wide', 'below']

/** NARROW is the media query of a screen on which diagrams start zoomed in. */
export const NARROW = '(max-width: 640px)'

/** NARROW_BOX is the width (CSS px) of a diagram box below which diagrams start zoomed in. */
export const NARROW_BOX = 560

/** narrowNow reports whether the diagram box (or, while it has no width, the screen) is narrow. */
function narrowNow (doc) {
  const w = doc.getElementById('diagram')?.clientWidth || 0
  return w > 0 ? w < NARROW_BOX : !!globalThis.matchMedia?.(NARROW).matches
}

const KEY_LAYOUT = 'kubelab.layout'
const KEY_ZOOM = 'kubelab.zoom'

const read = (storage, key) => { try { return storage?.getItem(key) || '' } catch { return '' } }
const write = (storage, key, v) => { try { storage?.setItem(key, v) } catch {} }

/**
 * bindLayout wires the layout switch and the zoom button of doc and shows them; it returns
 * {layout, zoom, setLayout(name), setZoom(on)}. storage defaults to localStorage; narrow()
 * tells whether diagrams should start zoomed in (by default: a narrow diagram box).
 */
export function bindLayout (doc, { storage = globalThis.localStorage, narrow = () => narrowNow(doc) } = {}) {
  const main = doc.getElementById('lab')
  const host = doc.getElementById('diagram')
  const state = { layout: LAYOUTS[0], zoom: false }
  function setLayout (name, remember = true) {
    if (!LAYOUTS.includes(name) || !main) return
    state.layout = name
    main.dataset.layout = name
    for (const b of doc.querySelectorAll('[data-layout-set]')) b.setAttribute('aria-pressed', String(b.dataset.layoutSet === name))
    if (remember) write(storage, KEY_LAYOUT, name)
    if (!read(storage, KEY_ZOOM)) setZoom(narrow(), false) // the box changed: the default follows
  }
  function setZoom (on, remember = true) {
    state.zoom = !!on
    if (host) host.dataset.zoom = on ? 'in' : 'fit'
    for (const b of doc.querySelectorAll('[data-diagram-zoom]')) b.setAttribute('aria-pressed', String(!!on))
    if (remember) write(storage, KEY_ZOOM, on ? 'in' : 'fit')
  }
  setLayout(LAYOUTS.includes(read(storage, KEY_LAYOUT)) ? read(storage, KEY_LAYOUT) : LAYOUTS[0], false)
  const z = read(storage, KEY_ZOOM)
  if (z) setZoom(z === 'in', false)
  let pending = 0
  doc.defaultView?.addEventListener?.('resize', () => {
    clearTimeout(pending)
    pending = setTimeout(() => { if (!read(storage, KEY_ZOOM)) setZoom(narrow(), false) }, 150)
  })
  doc.addEventListener('click', e => {
    const b = e.target.closest?.('[data-layout-set], [data-diagram-zoom]')
    if (!b) return
    e.preventDefault()
    if (b.hasAttribute('data-diagram-zoom')) setZoom(!state.zoom)
    else setLayout(b.dataset.layoutSet)
  })
  for (const el of doc.querySelectorAll('[data-diagram-tools]')) el.hidden = false
  return { get layout () { return state.layout }, get zoom () { return state.zoom }, setLayout, setZoom }
}
