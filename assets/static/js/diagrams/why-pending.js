// Why Pending: the scheduler's FailedScheduling message of a Pending pod, parsed into reasons
// with counts and told in plain words, and each node with its likely reason (greyed out).

import { h, mountDiagram } from '../view.js'
import { t, has as known } from '../i18n.js'
import { view, live, usage, timeOf, cpu, mem } from './common.js'

const NUM = ['cpu', 'memory', 'pods']

/** classify maps one reason phrase ("Insufficient cpu", "node(s) had untolerated taint {spot: true}") to {category, detail}. */
export function classify (what) {
  const taint = what.match(/taint \{([^}]*)\}/)
  if (taint) {
    const [k, ...rest] = taint[1].split(':'); const key = k.trim(); const value = rest.join(':').trim()
    if (key === 'node.kubernetes.io/unschedulable') return { category: 'unschedulable' }
    if (/^node\.kubernetes\.io\/(not-ready|unreachable)$/.test(key)) return { category: 'notReady' }
    return { category: 'taint', key, value, detail: value ? `${key}=${value}` : key }
  }
  const ins = what.match(/Insufficient (\S+)/)
  if (ins) return ins[1] === 'cpu' || ins[1] === 'memory' ? { category: ins[1] } : { category: 'other', detail: what }
  const rules = [
    [/Too many pods/i, 'pods'], [/anti-affinity/i, 'antiAffinity'], [/pod affinity/i, 'podAffinity'],
    [/node affinity|node selector|nodeSelector/i, 'nodeAffinity'], [/volume zone|zone conflict/i, 'volumeZone'],
    [/unschedulable/i, 'unschedulable'], [/not ready|NotReady/i, 'notReady'], [/free ports/i, 'ports'], [/PersistentVolumeClaim/i, 'pvc']
  ]
  if (/volume node affinity/i.test(what)) return { category: 'volumeZone' }
  for (const [re, c] of rules) if (re.test(what)) return { category: c }
  return { category: 'other', detail: what }
}

/** parseReason parses "0/3 nodes are available: 1 node(s) had untolerated taint {spot: true}, 2 Insufficient cpu." */
export function parseReason (text) {
  let s = String(text || '').trim()
  const out = { available: null, total: null, items: [], raw: s }
  const pi = s.search(/\.?\s*preemption:/)
  if (pi >= 0) s = s.slice(0, pi)
  const m = s.match(/^(\d+)\/(\d+) nodes are available:?\s*([\s\S]*)$/)
  if (!m) {
    if (!s) return out
    out.items.push(/no nodes available/i.test(s) ? { count: 0, category: 'noNodes' } : { count: 0, ...classify(s) })
    return out
  }
  out.available = +m[1]; out.total = +m[2]
  for (const part of m[3].replace(/\.\s*$/, '').split(/,\s*(?=\d+\s)/)) {
    const p = part.trim().match(/^(\d+)\s+([\s\S]+)$/)
    if (p) out.items.push({ count: +p[1], ...classify(p[2]) })
    else if (part.trim()) out.items.push({ count: 0, ...classify(part.trim()) })
  }
  return out
}

/** model: {pods (pending, newest first), pod (the chosen one), parsed, reasons [{category, count, text}], nodes}. opts: name, namespace, lang. */
export function model (state, opts = {}) {
  const v = view(state); const l = opts.lang
  const all = v.get('Pod')
  const pending = all.filter(p => !p.node && live(p) && (p.phase === 'Pending' || p.status === 'Pending') && (!opts.namespace || p.namespace === opts.namespace))
    .sort((a, b) => !!b.reason - !!a.reason || timeOf(b) - timeOf(a) || a.name.localeCompare(b.name))
  const pod = (opts.name && pending.find(p => p.name === opts.name)) || pending[0]
  if (!pod) return { pods: [], pod: null, reasons: [], nodes: [], text: t('wp.none', null, l) }
  const parsed = parseReason(pod.reason)
  const reasons = parsed.items.map(it => ({ ...it, text: t('wp.' + it.category, { n: it.count, d: it.detail || '' }, l) }))
  const use = usage(all); const req = pod.requests || {}
  const has = c => parsed.items.some(i => i.category === c)
  const guesses = parsed.items.filter(i => !['taint', 'unschedulable', 'notReady', ...NUM].includes(i.category))
  const nodes = v.get('Node').map(n => {
    const u = use.get(n.name) || { cpu: 0, memory: 0, pods: 0 }; const a = n.allocatable || {}
    const why = []
    for (const it of parsed.items) {
      if (it.category === 'taint' && (n.taints || []).some(x => x.key === it.key && (!it.value || x.value === it.value) && x.effect !== 'PreferNoSchedule')) why.push(t('wp.n.taint', { d: it.detail }, l))
    }
    if (n.unschedulable) why.push(t('wp.n.unschedulable', null, l))
    if (n.ready === false) why.push(t('wp.n.notReady', null, l))
    if (has('cpu') && a.cpu != null && (req.cpu || 0) > a.cpu - u.cpu) why.push(t('wp.n.cpu', { free: cpu(Math.max(0, a.cpu - u.cpu)), req: cpu(req.cpu) }, l))
    if (has('memory') && a.memory != null && (req.memory || 0) > a.memory - u.memory) why.push(t('wp.n.memory', { free: mem(Math.max(0, a.memory - u.memory)), req: mem(req.memory) }, l))
    if (has('pods') && a.pods != null && u.pods >= a.pods) why.push(t('wp.n.pods', null, l))
    return { name: n.name, zone: n.zone || '', instanceType: n.instanceType || '', why, blocked: why.length > 0 }
  })
  const failing = parsed.total != null ? parsed.total - parsed.available : nodes.length
  let left = failing - nodes.filter(n => n.blocked).length
  for (const n of parsed.items.length ? nodes : []) {
    if (n.blocked) continue
    if (left <= 0) { n.why.push(t('wp.nodeOk', null, l)); continue }
    left--; n.blocked = true
    n.why.push(guesses.length === 1 ? t('wp.n.guess', { d: t(known('wp.c.' + guesses[0].category) ? 'wp.c.' + guesses[0].category : 'wp.c.other', null, l) }, l) : t('wp.nodeUnknown', null, l))
  }
  return {
    pods: pending.map(p => ({ name: p.name, namespace: p.namespace || '' })),
    pod: { name: pod.name, namespace: pod.namespace || '', reason: pod.reason || '', requests: req },
    parsed, reasons, nodes,
    text: parsed.total != null ? t('wp.avail', { avail: parsed.available, total: parsed.total }, l) : (pod.reason ? '' : t('wp.noReason', null, l))
  }
}

function render (m, ctx) {
  if (!m.pod) return { html: [h('p', { class: 'kl-empty' }, m.text)] }
  const r = m.pod.requests
  const choose = name => { ctx.extra = { name }; ctx.update() }
  return {
    html: [
      m.pods.length > 1
        ? h('div', { class: 'kl-wp-pods', role: 'group' }, m.pods.map(p => h('button', { key: p.name, type: 'button', class: 'kl-btn', 'aria-pressed': String(p.name === m.pod.name), onclick: () => choose(p.name) }, p.name)))
        : null,
      h('h3', { class: 'kl-wp-title' }, t('wp.title', { pod: m.pod.name })),
      r.cpu || r.memory ? h('p', { class: 'kl-wp-req' }, `requests: cpu ${cpu(r.cpu || 0)}, memory ${mem(r.memory || 0)}`) : null,
      m.text ? h('p', { class: 'kl-wp-avail' }, m.text) : null,
      h('ul', { class: 'kl-reasons' }, m.reasons.map((x, i) => h('li', { key: i + x.category, class: 'cat-' + x.category }, x.text))),
      h('div', { class: 'kl-wp-nodes' }, m.nodes.map(n => h('div', { key: n.name, class: `kl-wp-node${n.blocked ? ' is-blocked' : ' is-ok'}` },
        h('strong', null, n.name), h('span', { class: 'kl-sub' }, [n.zone, n.instanceType].filter(Boolean).join(' · ')),
        h('ul', null, n.why.map((w, i) => h('li', { key: i }, w)))))),
      m.pod.reason ? h('details', { class: 'kl-raw' }, h('summary', null, t('wp.raw')), h('code', null, m.pod.reason)) : null
    ]
  }
}

/** mount shows why the Pending pod options.name (or the newest one) waits, into el. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, { name: 'why-pending', model, render, kinds: ['Pod', 'Node'] })
}
