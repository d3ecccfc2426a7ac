// Service routing: a Service, its selector, the pods that match it (or not), its EndpointSlice
// endpoints (ready or not), and request dots from a client through the ClusterIP, spread
// round-robin over the ready endpoints.

import { h, text, empty, mountDiagram, reducedMotion } from '../view.js'
import { t } from '../i18n.js'
import { view, selects, podTone } from './common.js'

const W = 720; const RH = 50; const RX = 440; const RW = 264; const SX = 170; const SW = 200; const MAX = 10

const kv = m => Object.entries(m || {}).map(([k, v]) => `${k}=${v}`).join(', ')

/** model: {service, rows, endpoints, targets, client, entry, w, h}. opts: name, namespace. */
export function model (state, opts = {}) {
  const v = view(state)
  const svcs = v.get('Service').filter(s => !(s.name === 'kubernetes' && (s.namespace || 'default') === 'default') && (!opts.namespace || s.namespace === opts.namespace))
  const svc = opts.name ? svcs.find(s => s.name === opts.name) : svcs[0]
  if (!svc) return { service: null, w: W, h: 90 }
  const eps = v.get('EndpointSlice').filter(e => e.service === svc.name && (e.namespace || '') === (svc.namespace || '')).flatMap(e => e.endpoints || [])
  const pods = v.get('Pod').filter(p => (p.namespace || '') === (svc.namespace || ''))
  const used = new Set()
  let rows = pods.map(p => {
    const ep = eps.find(e => (e.pod && e.pod === p.name) || (!e.pod && e.ip && e.ip === p.ip))
    if (ep) used.add(ep)
    const matched = selects(svc.selector, p.labels)
    const state = ep ? (ep.ready ? 'ready' : 'notReady') : matched ? 'pending' : 'noMatch'
    const own = Object.keys(svc.selector || {}).map(k => `${k}=${p.labels?.[k] ?? '∅'}`).join(', ')
    return { key: p.uid || p.name, name: p.name, ip: p.ip || ep?.ip || '', labels: kv(p.labels), own, status: p.status || p.phase || '', tone: podTone(p), matched, endpoint: !!ep, ready: !!ep?.ready, state }
  })
  for (const e of eps) {
    if (!used.has(e)) rows.push({ key: 'ep' + e.ip, name: e.pod || e.ip, ip: e.ip, labels: '', status: '', tone: e.ready ? 'ok' : 'wait', matched: true, endpoint: true, ready: !!e.ready, state: e.ready ? 'ready' : 'notReady' })
  }
  const rank = r => r.state === 'ready' ? 0 : r.state === 'notReady' ? 1 : r.state === 'pending' ? 2 : 3
  rows.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))
  const inSet = rows.filter(r => r.matched || r.endpoint).slice(0, MAX)
  const others = rows.filter(r => !r.matched && !r.endpoint)
  rows = inSet.concat(others.slice(0, Math.max(2, MAX - inSet.length)).slice(0, 4))
  rows.forEach((r, i) => { r.y = 56 + i * (RH + 8); r.py = r.y + RH / 2 })
  const hgt = Math.max(230, 56 + rows.length * (RH + 8) + 20)
  const mid = Math.max(110, Math.min(hgt / 2, 56 + (Math.max(1, rows.filter(r => r.matched).length) * (RH + 8)) / 2))
  return {
    service: { name: svc.name, namespace: svc.namespace || '', type: svc.type || 'ClusterIP', clusterIP: svc.clusterIP || '', selector: kv(svc.selector), ports: (svc.ports || []).map(p => `${p.port}→${p.targetPort ?? p.port}/${p.protocol || 'TCP'}`).join(', ') },
    rows,
    endpoints: { total: eps.length, ready: eps.filter(e => e.ready).length }, hidden: others.length - (rows.length - inSet.length),
    targets: rows.filter(r => r.ready).map(r => ({ key: r.key, x: RX, y: r.py })),
    client: { x: 70, y: mid }, entry: { x: SX + SW / 2, y: mid },
    w: W, h: hgt
  }
}

function render (m) {
  if (!m.service) return empty(t('sr.none'))
  const s = m.service; const my = m.entry.y
  const noPods = !m.rows.some(r => r.matched)
  const nodes = [
    h('text', { x: 16, y: 30, class: 'kl-title' }, `Service ${s.name}`, s.namespace ? h('tspan', { class: 'kl-sub', dx: 8 }, s.namespace) : null),
    h('g', { class: 'kl-client' },
      h('rect', { x: 16, y: my - 26, width: 108, height: 52, rx: 26 }),
      h('text', { x: 70, y: my + 5, 'text-anchor': 'middle' }, t('sr.client'))),
    h('path', { d: `M124 ${my}H${SX}`, class: 'kl-link is-ready' }),
    h('g', { class: 'kl-svc' },
      h('rect', { x: SX, y: my - 70, width: SW, height: 140, rx: 10 }),
      text({ x: SX + 12, y: my - 46, class: 'kl-name' }, `${s.type} ${s.clusterIP}`, SW - 20),
      text({ x: SX + 12, y: my - 26, class: 'kl-sub' }, s.ports, SW - 20),
      h('text', { x: SX + 12, y: my - 2, class: 'kl-sub' }, t('sr.selector')),
      text({ x: SX + 12, y: my + 16, class: 'kl-sel' }, s.selector || t('sr.noSelector'), SW - 20),
      h('text', { x: SX + 12, y: my + 44, class: 'kl-sub' }, t('sr.eps', { n: m.endpoints.total, r: m.endpoints.ready })))
  ]
  if (noPods) nodes.push(h('text', { x: RX, y: 40, class: 'kl-sub kl-warn' }, t('sr.noPods')))
  for (const r of m.rows) {
    const line = r.endpoint ? h('path', { d: `M${SX + SW} ${my}C${RX - 35} ${my} ${SX + SW + 35} ${r.py} ${RX} ${r.py}`, class: `kl-link ${r.ready ? 'is-ready' : 'is-unready'}` }) : null
    nodes.push(h('g', { key: 'r' + r.key, class: `kl-row is-${r.state} tone-${r.tone}` },
      line,
      h('g', { class: 'kl-pop' },
        h('title', null, `${r.name}\n${r.status}${r.ip ? '\nIP ' + r.ip : ''}${r.labels ? '\n' + r.labels : ''}`),
        h('rect', { x: RX, y: r.y, width: RW, height: RH, rx: 6 }),
        text({ x: RX + 10, y: r.y + 19, class: 'kl-name' }, r.name, RW - 20, true),
        text({ x: RX + 10, y: r.y + 38, class: 'kl-sub' }, `${(r.state === 'noMatch' ? r.own : r.ip) || '-'} · ${t('sr.' + r.state)}`, RW - 20))))
  }
  if (m.hidden > 0) nodes.push(h('text', { key: 'more', x: RX + 10, y: m.rows.at(-1).y + RH + 22, class: 'kl-sub' }, `+${m.hidden} ${t('sr.noMatch')}`))
  return { w: m.w, h: m.h, label: `Service ${s.name}: ${t('sr.eps', { n: m.endpoints.total, r: m.endpoints.ready })}`, nodes }
}

function sendDot (ctx) {
  const m = ctx.model
  if (!m?.targets?.length || !ctx.overlay || globalThis.document?.visibilityState === 'hidden') return
  const to = m.targets[ctx.rr++ % m.targets.length]
  const dot = ctx.overlay.ownerDocument.createElementNS('http://www.w3.org/2000/svg', 'circle')
  dot.setAttribute('r', 6); dot.setAttribute('class', 'kl-req')
  ctx.overlay.append(dot)
  if (typeof dot.animate !== 'function') { dot.remove(); return }
  const p = (x, y, offset, opacity = 1) => ({ transform: `translate(${x}px,${y}px)`, offset, opacity })
  const y = m.entry.y; const x0 = m.client.x + 54
  dot.style.transform = p(x0, y).transform
  // into the ClusterIP, hidden while inside the box, out towards the next ready endpoint
  dot.animate([p(x0, y, 0), p(SX, y, 0.3), p(SX + 4, y, 0.31, 0), p(SX + SW - 4, y, 0.55, 0), p(SX + SW, y, 0.56), p(to.x, to.y, 1)], { duration: 1600, easing: 'linear' })
  setTimeout(() => dot.remove(), 1600)
}

/** mount draws the routing of options.name/namespace (or the first Service) into el, with request dots. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, {
    name: 'service-routing', model, render, kinds: ['Service', 'EndpointSlice', 'Pod'],
    onDestroy: ctx => ctx.overlay?.replaceChildren(),
    onMount (ctx) {
      ctx.rr = 0
      if (!reducedMotion()) ctx.timers.add(setInterval(() => sendDot(ctx), options.interval || 700))
    }
  })
}
