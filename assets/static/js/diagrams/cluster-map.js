// Cluster map: zones as columns, nodes as boxes with capacity bars, pods as chips coloured
// (and labelled) by status; unscheduled Pending pods wait in a queue row with the scheduler's reason.

import { h, text, mountDiagram } from '../view.js'
import { t } from '../i18n.js'
import { view, podTone, usage, zonesOf, live, cpu, mem, trunc } from './common.js'

const W = 720; const PAD = 12; const GAP = 8; const CH = 42; const CW = 150
const HIDDEN = new Set(['kube-system', 'kube-node-lease', 'kube-public'])

function chip (p, x, y, w, slot) {
  const tone = podTone(p)
  return {
    key: p.uid || `${p.namespace}/${p.name}`, slot, name: p.name, namespace: p.namespace, ip: p.ip || '',
    status: p.deleting ? 'Terminating' : (p.status || p.phase || 'Pending'), tone,
    reason: p.reason || '', x, y, w, h: CH
  }
}

/** model computes the map: {w, h, zones, nodes, chips, queue, more, counts}. opts: namespace, system, lang. */
export function model (state, opts = {}) {
  const v = view(state); const l = opts.lang
  const allPods = v.get('Pod')
  const pods = allPods.filter(p => opts.namespace ? p.namespace === opts.namespace : (opts.system || !HIDDEN.has(p.namespace)))
  const nodes = [...v.get('Node')]
  const known = new Set(nodes.map(n => n.name))
  for (const p of pods) {
    if (p.node && !known.has(p.node)) { known.add(p.node); nodes.push({ kind: 'Node', name: p.node, missing: true }) }
  }
  const use = usage(allPods)
  const zones = zonesOf(nodes)
  const chips = []
  let y = PAD

  // the scheduling queue
  const waiting = pods.filter(p => !p.node && live(p))
  const queue = []
  if (waiting.length) {
    y += 22
    for (const [i, p] of waiting.slice(0, 8).entries()) {
      const c = chip(p, PAD, y, 220, 'q' + i)
      const why = (p.reason || '').replace(/^\d+\/\d+ nodes are available:\s*/, '').replace(/\.?\s*preemption:[\s\S]*$/, '')
      const cut = why.length > 64 ? why.lastIndexOf(' ', 64) : -1
      chips.push(c); queue.push({ key: c.key, y, reason: p.reason || '', lines: cut > 0 ? [why.slice(0, cut), trunc(why.slice(cut + 1), 64)] : [why] })
      y += CH + 6
    }
    y += 8
  }
  const more = Math.max(0, waiting.length - 8)
  if (more) y += 18

  const nz = Math.max(1, zones.length)
  const cw = (W - PAD * (nz + 1)) / nz
  const cols = Math.max(1, Math.floor((cw - 2 * GAP + GAP) / (CW + GAP)))
  const pw = (cw - 2 * GAP - GAP * (cols - 1)) / cols
  const top = y
  let bottom = y + 30
  const outZones = []; const outNodes = []
  zones.forEach((z, zi) => {
    const x = PAD + zi * (cw + PAD)
    const zn = nodes.filter(n => (n.zone || '') === z)
    outZones.push({ name: z || t('cm.noZone', null, l), x, y: top + 16, w: cw, nodes: zn.length })
    let ny = top + 26
    for (const n of zn) {
      const u = use.get(n.name) || { cpu: 0, memory: 0, pods: 0 }
      const a = n.allocatable || {}
      const on = pods.filter(p => p.node === n.name)
      const taints = (n.taints || []).map(x => `${x.key}${x.value ? '=' + x.value : ''}:${x.effect}`)
      const head = taints.length ? 60 : 44
      const bars = [
        ['CPU', u.cpu, a.cpu, cpu], [t('cm.mem', null, l), u.memory, a.memory, mem], [t('cm.pods', null, l), u.pods, a.pods, String]
      ].map(([label, used, cap, f], i) => ({
        label, used, cap: cap || 0, frac: cap ? used / cap : 0, text: `${f(used)} / ${cap ? f(cap) : '?'}`, y: ny + head + i * 18
      }))
      let cy = ny + head + bars.length * 18 + 6
      on.forEach((p, i) => {
        chips.push(chip(p, x + GAP + (i % cols) * (pw + GAP), cy + Math.floor(i / cols) * (CH + 6), pw, `${n.name}#${i}`))
      })
      cy += Math.ceil(on.length / cols) * (CH + 6)
      const nh = Math.max(cy - ny + 4, head + 60)
      outNodes.push({
        name: n.name, zone: n.zone || '', instanceType: n.instanceType || '', ip: n.ip || '', missing: !!n.missing,
        ready: n.ready !== false && !n.missing, unschedulable: !!n.unschedulable, taints, x, y: ny, w: cw, h: nh, bars, pods: on.length
      })
      ny += nh + GAP
    }
    bottom = Math.max(bottom, ny)
  })
  return {
    w: W, h: Math.ceil(bottom + PAD), zones: outZones, nodes: outNodes, chips, queue, more, queueY: PAD,
    counts: { nodes: v.get('Node').length, pods: pods.length }
  }
}

// A chip is keyed by its pod, so a pod that moves slides and a new one pops in. A store of the
// history's moments (store.past) jumps to another moment instead, where most pods may differ: there
// a chip is keyed by its slot (the node and its place among the node's pods, or its place in the
// queue), so the same elements are reused with new texts rather than all removed and made again,
// and a node pushed down by the one above it only moves its chips.
function drawChip (c, q, explain, past) {
  const kids = [
    h('title', null, `${c.namespace}/${c.name}\n${c.status}${c.ip ? '\nIP ' + c.ip : ''}${c.reason ? '\n' + c.reason : ''}`),
    h('rect', { width: c.w, height: c.h, rx: 6 }),
    text({ x: 8, y: 17, class: 'kl-name' }, c.name, c.w - 14, true),
    text({ x: 8, y: 34, class: 'kl-sub' }, `${c.status}${c.ip ? ' · ' + c.ip : ''}`, c.w - 14),
    q && q.lines.map((l, i) => text({ x: c.w + 10, y: (q.lines.length > 1 ? 17 : 26) + i * 17, class: 'kl-reason' }, l, W - 2 * PAD - c.w - 10))
  ]
  // a moment's chip does not pop in: it goes without the group that animates that
  return h('g', { key: past ? '@' + c.slot : 'p' + c.key, class: `kl-chip tone-${c.tone}`, style: `transform:translate(${c.x}px,${c.y}px)`, onclick: () => explain(c) },
    past ? kids : h('g', { class: 'kl-pop' }, kids))
}

function render (m, ctx) {
  // a click on a pod asks the page for the scheduler's reasons (the "Why here?" diagram)
  const Ev = ctx.root.ownerDocument.defaultView?.CustomEvent || CustomEvent
  const explain = c => ctx.root.dispatchEvent(new Ev('kubelab:explain', { bubbles: true, detail: { name: c.name, namespace: c.namespace } }))
  const nodes = []
  if (m.queue.length) {
    nodes.push(h('text', { key: 'qh', x: PAD, y: m.queueY + 14, class: 'kl-h' }, t('cm.queue')))
  }
  if (m.more) nodes.push(h('text', { key: 'qm', x: PAD, y: m.queue.at(-1).y + CH + 18, class: 'kl-sub' }, `+${m.more}`))
  if (!m.nodes.length) nodes.push(h('text', { key: 'nn', x: W / 2, y: m.h - 20, class: 'kl-empty', 'text-anchor': 'middle' }, t('cm.noNodes')))
  for (const z of m.zones) {
    nodes.push(h('text', { key: 'z' + z.name, x: z.x + 2, y: z.y, class: 'kl-h' }, z.name))
  }
  for (const n of m.nodes) {
    const flags = [!n.ready && t('cm.notReady'), n.unschedulable && t('cm.cordoned')].filter(Boolean).join(' · ')
    // the node's texts and bars are drawn in its own coordinates (the box keeps the map's, which
    // the drills read): a node pushed down by the one above changes two attributes, not all of them
    nodes.push(h('g', { key: 'n' + n.name, class: `kl-node${n.ready ? '' : ' is-down'}${n.unschedulable ? ' is-cordoned' : ''}` },
      h('title', null, `${n.name}${n.zone ? ' (' + n.zone + ')' : ''}`),
      h('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 8 }),
      h('g', { transform: `translate(${n.x},${n.y})` },
        text({ x: 10, y: 20, class: 'kl-name' }, n.name, n.w - 20),
        text({ x: 10, y: 37, class: 'kl-sub' }, [n.instanceType, n.ip, flags].filter(Boolean).join(' · '), n.w - 20),
        n.taints.length ? text({ x: 10, y: 53, class: 'kl-sub kl-taint' }, 'taint ' + n.taints.join(', '), n.w - 20) : null,
        n.bars.map(b => {
          const bw = n.w - 170; const x = 72; const y = b.y - n.y
          return h('g', { class: `kl-bar${b.frac > 1 ? ' is-over' : ''}` },
            h('text', { x: 10, y: y + 12, class: 'kl-sub' }, b.label),
            h('rect', { x, y: y + 3, width: bw, height: 10, rx: 3, class: 'kl-track' }),
            h('rect', { x, y: y + 3, width: Math.max(0, Math.min(1, b.frac)) * bw, height: 10, rx: 3, class: 'kl-fill' }),
            h('text', { x: n.w - 10, y: y + 12, class: 'kl-sub', 'text-anchor': 'end' }, b.text))
        }))))
  }
  const queued = new Map(m.queue.map(q => [q.key, q]))
  const past = !!ctx.store?.past
  for (const c of m.chips) nodes.push(drawChip(c, queued.get(c.key), explain, past))
  return { w: m.w, h: m.h, label: t('cm.summary', m.counts), nodes }
}

/** mount draws the cluster map into el and keeps it live. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, { name: 'cluster-map', model, render, kinds: ['Node', 'Pod'] })
}
