// Timeline: what happened, as sentences, newest last: who created what (owner references),
// what the scheduler, controllers and kubelet reported (Events), and endpoint changes.

import { h, mountDiagram } from '../view.js'
import { t } from '../i18n.js'
import { view, ownerOf, timeOf } from './common.js'

const HIDDEN = new Set(['kube-system', 'kube-node-lease', 'kube-public'])
const KUBELET = { Pulling: ['tl.pulling', 3], Pulled: ['tl.pulled', 3.1], Created: ['tl.created', 3.2], Started: ['tl.started', 3.3], Killing: ['tl.killing', 5], BackOff: ['tl.backoff', 4] }

/**
 * model: {entries: [{key, time, text, tone}], more}, at most opts.limit (50) entries, newest last; more is the
 * number of older Events the server left out of its snapshot. opts: namespace, system, lang, limit.
 */
export function model (state, opts = {}) {
  const v = view(state); const l = opts.lang
  const seen = o => opts.namespace ? (o.namespace || '') === opts.namespace : (opts.system || !HIDDEN.has(o.namespace))
  const out = []
  const add = (key, time, rank, key2, params, tone = 'normal') => out.push({ key, time, rank, n: out.length, text: t(key2, params, l), tone })
  const nodeZone = name => { const z = v.get('Node').find(n => n.name === name)?.zone; return z ? ` (${z})` : '' }

  for (const rs of v.get('ReplicaSet')) {
    const d = seen(rs) && ownerOf(v, rs)
    if (d && d.kind === 'Deployment') add('rs' + (rs.uid || rs.name), timeOf(rs), 0, 'tl.rsCreated', { dep: d.name, rs: rs.name, rev: rs.revision ?? '?' })
  }
  const told = new Set()
  for (const p of v.get('Pod')) {
    if (!seen(p)) continue
    told.add(`${p.namespace}/${p.name}`)
    const o = ownerOf(v, p) || p.owner
    const d = o && o.kind === 'ReplicaSet' && o.owner && ownerOf(v, o)
    const k = 'pod' + (p.uid || p.name)
    if (d && d.kind === 'Deployment') add(k, timeOf(p), 1, 'tl.podDep', { dep: d.name, rs: o.name, pod: p.name })
    else if (o) add(k, timeOf(p), 1, 'tl.podBy', { ok: o.kind, owner: o.name, pod: p.name })
    else add(k, timeOf(p), 1, 'tl.pod', { pod: p.name })
  }
  for (const e of v.get('Event')) {
    if (!seen(e)) continue
    const inv = e.involved || {}; const msg = e.message || ''; const time = timeOf(e); const k = 'ev' + (e.uid || e.name)
    const warn = e.eventType === 'Warning' ? 'warning' : 'normal'
    let m
    if (e.reason === 'Scheduled') {
      const node = msg.match(/ to (\S+)$/)?.[1] || v.get('Pod').find(p => p.name === inv.name && p.namespace === inv.namespace)?.node || '?'
      add(k, time, 2, 'tl.scheduled', { pod: inv.name, node, zone: nodeZone(node) })
    } else if (e.reason === 'FailedScheduling') add(k, time, 2, 'tl.failedSched', { pod: inv.name, msg: msg.replace(/\s*preemption:.*$/s, '') }, 'warning')
    else if (e.reason === 'ScalingReplicaSet' && (m = msg.match(/Scaled (up|down) replica set (\S+)(?: from \d+)? to (\d+)/))) {
      add(k, time, 0.5, 'tl.scaled', { dep: inv.name, rs: m[2], n: m[3], dir: t(m[1] === 'up' ? 'tl.up' : 'tl.down', null, l) })
    } else if (e.reason === 'SuccessfulCreate' && (m = msg.match(/Created pod: (\S+)/))) {
      if (!told.has(`${e.namespace}/${m[1]}`)) add(k, time, 1, 'tl.rsPod', { ok: inv.kind, owner: inv.name, pod: m[1] })
    } else if (e.reason === 'SuccessfulDelete' && (m = msg.match(/Deleted pod: (\S+)/))) add(k, time, 5, 'tl.rsDel', { ok: inv.kind, owner: inv.name, pod: m[1] })
    else if (KUBELET[e.reason] && inv.kind === 'Pod') add(k, time, KUBELET[e.reason][1], KUBELET[e.reason][0], { pod: inv.name }, warn)
    else add(k, time, 4, 'tl.event', { kind: inv.kind || '', name: inv.name || '', reason: e.reason || '', msg: msg ? '– ' + msg : '' }, warn)
  }
  for (const c of v.history()) {
    const o = c.obj
    if ((c.snap && c.op === 'add') || !seen(o)) continue
    if (o.kind === 'Pod' && c.op === 'remove') add(`gone${o.uid || o.name}@${c.at}`, c.at, 6, 'tl.podGone', { pod: o.name })
    if (o.kind !== 'EndpointSlice') continue
    const before = new Map((c.op === 'add' ? [] : (c.op === 'remove' ? o : c.prev || {}).endpoints || []).map(e => [e.ip, e]))
    const after = new Map((c.op === 'remove' ? [] : o.endpoints || []).map(e => [e.ip, e]))
    const svc = o.service || o.name
    const ep = e => e.pod ? `${e.ip} (${e.pod})` : e.ip
    for (const [ip, e] of after) {
      const b = before.get(ip)
      if (!b) add(`ep+${ip}@${c.at}`, c.at, 6, 'tl.epAdd', { ep: ep(e), svc })
      else if (!!b.ready !== !!e.ready) add(`ep~${ip}@${c.at}`, c.at, 6, e.ready ? 'tl.epReady' : 'tl.epUnready', { ep: ep(e), svc }, e.ready ? 'normal' : 'warning')
    }
    for (const [ip, e] of before) if (!after.has(ip)) add(`ep-${ip}@${c.at}`, c.at, 6, 'tl.epDel', { ep: ep(e), svc })
  }
  out.sort((a, b) => a.time - b.time || a.rank - b.rank || a.n - b.n)
  return { entries: out.slice(-(opts.limit || 50)).map(({ key, time, text, tone }) => ({ key, time, text, tone })), more: v.more('Event') }
}

const clock = ms => ms ? new Date(ms).toTimeString().slice(0, 8) : ''

function render (m) {
  const older = m.more > 0 ? [h('p', { class: 'kl-sub', 'data-more': m.more }, t('tl.more', { n: m.more }))] : []
  if (!m.entries.length) return { html: [...older, h('p', { class: 'kl-empty' }, t('tl.none'))] }
  return {
    html: [...older, h('ol', { class: 'kl-tl', 'aria-live': 'polite' }, m.entries.map(e =>
      h('li', { key: e.key, class: `kl-pop is-${e.tone}` }, h('time', null, clock(e.time)), ' ', h('span', null, e.text))))]
  }
}

/** mount shows the timeline in el and keeps it scrolled to the newest entry. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, {
    name: 'timeline', model, render,
    onRender (ctx) { const box = ctx.root.querySelector('.kl-html'); if (box) box.scrollTop = box.scrollHeight }
  })
}
