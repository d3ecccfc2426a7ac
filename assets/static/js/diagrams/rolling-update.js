// Rolling update: a Deployment's ReplicaSets (old to new by revision) side by side with their
// pods, desired/ready per ReplicaSet, and what maxSurge/maxUnavailable allow.

import { h, text, empty, mountDiagram } from '../view.js'
import { t } from '../i18n.js'
import { view, pick, refersTo, podTone, timeOf } from './common.js'

const W = 720; const PAD = 16; const CH = 40; const TOP = 96

const rev = o => Number(o.revision) || 0

/** bound resolves a maxSurge/maxUnavailable value ("25%" or "1") against replicas (surge rounds up, unavailable down). */
export function bound (val, replicas, up) {
  const s = String(val ?? '25%')
  if (s.endsWith('%')) { const x = replicas * parseFloat(s) / 100; return up ? Math.ceil(x) : Math.floor(x) }
  return parseInt(s, 10) || 0
}

/** model: {deployment, columns, older, w, h}. opts: name, namespace. */
export function model (state, opts = {}) {
  const v = view(state)
  const d = pick(v, ['Deployment'], opts)
  if (!d) return { deployment: null, w: W, h: 90 }
  const rss = v.get('ReplicaSet').filter(r => (r.namespace || '') === (d.namespace || '') && refersTo(r.owner, d))
    .sort((a, b) => rev(a) - rev(b) || timeOf(a) - timeOf(b))
  const top = Math.max(rev(d), ...rss.map(rev))
  const shown = rss.slice(-3)
  const n = Math.max(1, shown.length)
  const cw = (W - PAD * (n + 1)) / n
  const per = cw >= 330 ? 2 : 1
  const pw = (cw - 16 - 8 * (per - 1)) / per
  const pods = v.get('Pod')
  let bottom = TOP + 110
  const columns = shown.map((r, i) => {
    const x = PAD + i * (cw + PAD)
    const mine = pods.filter(p => (p.namespace || '') === (r.namespace || '') && refersTo(p.owner, r))
      .sort((a, b) => timeOf(a) - timeOf(b) || a.name.localeCompare(b.name))
      .map((p, j) => ({
        key: p.uid || p.name, name: p.name, status: p.deleting ? 'Terminating' : p.status || p.phase || '', tone: podTone(p), ip: p.ip || '',
        x: x + 8 + (j % per) * (pw + 8), y: TOP + 100 + Math.floor(j / per) * (CH + 6), w: pw
      }))
    bottom = Math.max(bottom, TOP + 100 + Math.ceil(mine.length / per) * (CH + 6) + 8)
    return {
      name: r.name, hash: r.hash || '', revision: rev(r), isNew: rev(r) === top, images: (r.images || []).join(', '),
      desired: Number(r.replicas ?? 0), ready: Number(r.readyReplicas ?? 0), pods: mine, x, w: cw
    }
  })
  const replicas = Number(d.replicas ?? 0)
  const surge = bound(d.maxSurge, replicas, true); const unavail = bound(d.maxUnavailable, replicas, false)
  return {
    deployment: {
      name: d.name, namespace: d.namespace || '', replicas, ready: Number(d.readyReplicas ?? 0), updated: Number(d.updatedReplicas ?? 0),
      revision: top, images: (d.images || []).join(', '), maxSurge: d.maxSurge ?? '25%', maxUnavailable: d.maxUnavailable ?? '25%',
      maxPods: replicas + surge, minReady: Math.max(0, replicas - unavail)
    },
    columns, older: rss.length - shown.length, w: W, h: Math.ceil(bottom + PAD)
  }
}

function render (m) {
  if (!m.deployment) return empty(t('ru.none'))
  const d = m.deployment
  const nodes = [
    h('text', { x: PAD, y: 28, class: 'kl-title' }, `Deployment ${d.name}`, d.namespace ? h('tspan', { class: 'kl-sub', dx: 8 }, d.namespace) : null),
    text({ x: PAD, y: 50, class: 'kl-sub' }, t('ru.status', { d: d.replicas, u: d.updated, r: d.ready }) + (d.images ? ' · ' + d.images : ''), W - 2 * PAD),
    text({ x: PAD, y: 70, class: 'kl-sub' }, t('ru.strategy', { s: d.maxSurge, u: d.maxUnavailable, max: d.maxPods, min: d.minReady }), W - 2 * PAD)
  ]
  if (m.older) nodes.push(h('text', { x: W - PAD, y: 28, 'text-anchor': 'end', class: 'kl-sub' }, t('ru.older', { n: m.older })))
  m.columns.forEach((c, i) => {
    nodes.push(h('g', { key: 'rs' + c.name, class: `kl-rs${c.isNew ? ' is-new' : ' is-old'}${c.desired || c.pods.length ? '' : ' is-idle'}` },
      h('rect', { x: c.x, y: TOP, width: c.w, height: m.h - TOP - PAD, rx: 8 }),
      text({ x: c.x + 10, y: TOP + 22, class: 'kl-name' }, `ReplicaSet ${c.name}`, c.w - 20),
      h('text', { x: c.x + 10, y: TOP + 42, class: 'kl-sub' }, `${t('ru.rev', { n: c.revision })} · ${t(c.isNew ? 'ru.new' : 'ru.old')}`),
      text({ x: c.x + 10, y: TOP + 60, class: 'kl-sub' }, c.images, c.w - 20),
      h('text', { x: c.x + 10, y: TOP + 82, class: 'kl-count' }, t('ru.counts', { d: c.desired, r: c.ready }))))
    if (i) nodes.push(h('text', { key: 'ar' + i, x: c.x - PAD / 2, y: TOP + 46, 'text-anchor': 'middle', class: 'kl-arrow' }, '›'))
    for (const p of c.pods) {
      nodes.push(h('g', { key: 'p' + p.key, class: `kl-chip tone-${p.tone}`, style: `transform:translate(${p.x}px,${p.y}px)` },
        h('g', { class: 'kl-pop' },
          h('title', null, `${p.name}\n${p.status}${p.ip ? '\nIP ' + p.ip : ''}`),
          h('rect', { width: p.w, height: CH, rx: 6 }),
          text({ x: 8, y: 17, class: 'kl-name' }, p.name.startsWith(c.name + '-') ? p.name.slice(c.name.length + 1) : p.name, p.w - 14, true),
          text({ x: 8, y: 33, class: 'kl-sub' }, p.status, p.w - 14))))
    }
  })
  return { w: m.w, h: m.h, label: `Deployment ${d.name}: ${t('ru.status', { d: d.replicas, u: d.updated, r: d.ready })}`, nodes }
}

/** mount draws the rolling update of options.name/namespace (or the latest Deployment) into el. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, { name: 'rolling-update', model, render, kinds: ['Deployment', 'ReplicaSet', 'Pod'] })
}
