// Control loop: desired replicas vs the ready pods a Deployment (or ReplicaSet, StatefulSet,
// DaemonSet) owns, as two rows of circles; while they differ an observe -> diff -> act cycle turns.

import { h, empty, mountDiagram } from '../view.js'
import { t } from '../i18n.js'
import { view, pick, podsOf, podTone, live, timeOf } from './common.js'

const W = 720; const R = 13; const STEP = 34; const PER = 12; const CX = 580; const CY = 130; const RING = 64
const KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']

/** model: {target, desired, ready, current, diff, phase ('sync'|'more'|'less'|'wait'), inSync, rows, w, h}. opts: kind, name, namespace. */
export function model (state, opts = {}) {
  const v = view(state)
  let target = pick(v, KINDS, opts)
  if (!target && !opts.name && !opts.kind) for (const k of KINDS.slice(1)) if ((target = pick(v, [k], opts))) break
  if (!target) return { target: null, w: W, h: 90 }
  const pods = podsOf(v, target).sort((a, b) => timeOf(a) - timeOf(b) || a.name.localeCompare(b.name))
  const current = pods.filter(live)
  const ready = current.filter(p => p.ready).length
  const desired = Number(target.replicas ?? 0)
  const diff = desired - current.length
  const inSync = ready === desired && diff === 0
  const phase = inSync ? 'sync' : diff > 0 ? 'more' : diff < 0 ? 'less' : 'wait'
  const shown = pods.filter(p => live(p) || p.deleting) // terminating pods fade out in place
  const place = (i, y0) => ({ x: 24 + R + (i % PER) * STEP, y: y0 + Math.floor(i / PER) * STEP })
  const dRows = Math.max(1, Math.ceil(desired / PER)); const cRows = Math.max(1, Math.ceil(shown.length / PER))
  const y1 = 78; const y2 = y1 + dRows * STEP + 40
  const rows = {
    desired: Array.from({ length: desired }, (_, i) => ({ key: i, ...place(i, y1) })),
    current: shown.map((p, i) => ({ key: p.uid || p.name, name: p.name, status: p.deleting ? 'Terminating' : p.status || p.phase, tone: podTone(p), ready: !!p.ready, ...place(i, y2) })),
    y1, y2
  }
  const bottom = Math.max(y2 + cRows * STEP, CY + RING + 40)
  return {
    target: { kind: target.kind, name: target.name, namespace: target.namespace || '' },
    desired, ready, current: current.length, diff, phase, inSync, rows, w: W, h: bottom + 40
  }
}

const polar = (deg, r = RING) => [CX + r * Math.cos(deg * Math.PI / 180), CY + r * Math.sin(deg * Math.PI / 180)]

function render (m) {
  if (!m.target) return empty(t('cl.none'))
  const { rows } = m
  const arcs = [['observe', -90], ['diff', 30], ['act', 150]].map(([id, a], i) => {
    const [x1, y1] = polar(a + 9); const [x2, y2] = polar(a + 111); const [lx, ly] = polar(a + 60, RING + 20)
    return h('g', { class: `kl-arc kl-arc-${i}` },
      h('path', { d: `M${x1.toFixed(1)} ${y1.toFixed(1)}A${RING} ${RING} 0 0 1 ${x2.toFixed(1)} ${y2.toFixed(1)}`, 'marker-end': 'url(#kl-arrow-cl)' }),
      h('text', { x: lx.toFixed(1), y: (ly + 5).toFixed(1), 'text-anchor': lx > CX + 5 ? 'start' : lx < CX - 5 ? 'end' : 'middle' }, t('cl.' + id)))
  })
  const center = m.inSync ? t('cl.sync') : m.diff > 0 ? `+${m.diff}` : m.diff < 0 ? `−${-m.diff}` : '…'
  const text = m.phase === 'sync' ? t('cl.syncText') : m.phase === 'wait' ? t('cl.wait') : t('cl.' + m.phase, { n: Math.abs(m.diff) })
  const label = `${m.target.kind} ${m.target.name}: ${t('cl.desired', { n: m.desired })}, ${t('cl.current', { n: m.ready })}. ${text}`
  return {
    w: m.w, h: m.h, label,
    nodes: [
      h('defs', null, h('marker', { id: 'kl-arrow-cl', viewBox: '0 0 10 10', refX: 7, refY: 5, markerWidth: 14, markerHeight: 14, markerUnits: 'userSpaceOnUse', orient: 'auto' }, h('path', { d: 'M0 0L10 5L0 10z', class: 'kl-arrowhead' }))),
      h('text', { x: 24, y: 30, class: 'kl-title' }, `${m.target.kind} ${m.target.name}`, m.target.namespace ? h('tspan', { class: 'kl-sub', dx: 8 }, m.target.namespace) : null),
      h('text', { x: 24, y: rows.y1 - 24, class: 'kl-h' }, t('cl.desired', { n: m.desired })),
      rows.desired.map(c => h('circle', { key: 'd' + c.key, cx: c.x, cy: c.y, r: R, class: 'kl-want kl-pop' })),
      h('text', { x: 24, y: rows.y2 - 24, class: 'kl-h' }, t('cl.current', { n: m.ready })),
      rows.current.map(c => h('g', { key: 'c' + c.key, class: `kl-dot tone-${c.tone}`, style: `transform:translate(${c.x}px,${c.y}px)` },
        h('g', { class: 'kl-pop' }, h('title', null, `${c.name}: ${c.status}`), h('circle', { r: R }),
          h('text', { y: 5, 'text-anchor': 'middle', class: 'kl-mark' }, c.ready ? '✓' : c.tone === 'err' ? '!' : c.tone === 'gone' ? '×' : '…')))),
      h('g', { class: `kl-cycle${m.inSync ? ' is-sync' : ' is-busy'}` },
        h('circle', { cx: CX, cy: CY, r: RING - 14, class: 'kl-core' }),
        arcs,
        h('text', { x: CX, y: CY + 6, 'text-anchor': 'middle', class: 'kl-center' }, center)),
      h('text', { x: 24, y: m.h - 18, class: `kl-note${m.inSync ? ' is-sync' : ''}` }, text)
    ]
  }
}

/** mount draws the control loop of options.kind/name/namespace (or the latest Deployment) into el. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, { name: 'control-loop', model, render, kinds: ['Pod', ...KINDS] })
}
