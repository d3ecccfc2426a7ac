// Architecture: control plane (API server, etcd, scheduler, controller manager, cloud controller)
// and data plane (nodes with kubelet, kube-proxy, container runtime). A component lights up
// when the cluster shows it at work: Scheduled -> scheduler, SuccessfulCreate -> controller
// manager, Pulled/Started -> that node's kubelet and runtime, any change -> API server and etcd.

import { h, text, mountDiagram } from '../view.js'
import { t } from '../i18n.js'
import { view, trunc } from './common.js'

const W = 720; const WINDOW = 2500; const MAXN = 3
const SCHED = /^(Scheduled|FailedScheduling|Preempted|NotTriggerScaleUp)$/
const KUBELET = /^(Pulling|Pulled|Created|Started|Killing|BackOff|Failed|Unhealthy|ErrImageNeverPull|InspectFailed|FailedMount|NodeReady|NodeNotReady|Rebooted)$/
const RUNTIME = /^(Pulling|Pulled|Created|Started|Killing)$/
const CM = /^(SuccessfulCreate|SuccessfulDelete|ScalingReplicaSet|FailedCreate|FailedDelete|Completed|SawCompletedJob|SuccessfulRescale|DeploymentRollback|RecreatingFailedPod|SuccessfulAttachVolume|ProvisioningSucceeded)$/

/** componentsFor returns the component ids an Event points at ('sched', 'cm', 'ccm', 'kubelet:<node>', 'runtime:<node>'). */
export function componentsFor (e, nodeOfPod = () => '') {
  const r = e.reason || ''; const src = e.source || ''
  if (SCHED.test(r) || /scheduler/.test(src)) return ['sched']
  if (/LoadBalancer|RegisteredNode|RemovingNode|DeletingNode/.test(r) || /cloud|service-controller|service-lb/.test(src)) return ['ccm']
  if (CM.test(r) || /controller/.test(src)) return ['cm']
  if (KUBELET.test(r) || /kubelet/.test(src)) {
    const node = e.involved?.kind === 'Node' ? e.involved.name : nodeOfPod(e.involved?.namespace, e.involved?.name)
    const n = node || '*'
    return RUNTIME.test(r) ? ['kubelet:' + n, 'runtime:' + n] : ['kubelet:' + n]
  }
  return []
}

/** model: {control: [box], nodes: [{name, zone, x, w, parts: [box]}], more, lit: {id: caption}}. opts.recent: [{at, component} | {at, event}], opts.now. */
export function model (state, opts = {}) {
  const v = view(state); const l = opts.lang; const now = opts.now ?? Date.now()
  const pods = v.get('Pod')
  const nodeOfPod = (ns, name) => pods.find(p => p.name === name && (!ns || p.namespace === ns))?.node
  const all = v.get('Node')
  const shown = all.length ? all.slice(0, MAXN) : [{ name: t('ar.node', null, l), zone: '' }]
  const lit = {}
  for (const r of opts.recent || []) {
    if (now - r.at > WINDOW) continue
    const ids = r.component ? [r.component] : componentsFor(r.event, nodeOfPod)
    const cap = r.event ? trunc(`${r.event.reason}: ${r.event.involved?.name || ''}`, 34) : ''
    for (const id of ids) {
      const [base, node] = id.split(':')
      if (node === '*' || (base === 'proxy' && !node)) for (const n of shown) lit[`${base}:${n.name}`] = cap || lit[`${base}:${n.name}`] || ''
      else lit[id] = cap || lit[id] || ''
    }
  }
  const box = (id, key, x, y, w, hh = 50) => ({ id, label: t(key, null, l), x, y, w, h: hh, lit: id in lit, caption: lit[id] || '' })
  const control = [
    box('kubectl', 'ar.kubectl', 16, 84, 118), box('api', 'ar.api', 170, 64, 270), box('etcd', 'ar.etcd', 470, 64, 214),
    box('sched', 'ar.sched', 170, 150, 160), box('cm', 'ar.cm', 345, 150, 170), box('ccm', 'ar.ccm', 530, 150, 154)
  ]
  const n = shown.length; const nw = (W - 32 - 16 * (n - 1)) / n
  const nodes = shown.map((nd, i) => {
    const x = 16 + i * (nw + 16)
    return {
      name: nd.name, zone: nd.zone || '', instanceType: nd.instanceType || '', x, w: nw,
      parts: [['kubelet', 'ar.kubelet'], ['proxy', 'ar.proxy'], ['runtime', 'ar.runtime']].map(([id, key], j) => box(`${id}:${nd.name}`, key, x + 10, 318 + j * 46, nw - 20, 38))
    }
  })
  return { control, nodes, more: Math.max(0, all.length - MAXN), lit, w: W, h: 470 }
}

function drawBox (b) {
  return h('g', { key: b.id, class: `kl-comp kl-c-${b.id.split(':')[0]}${b.lit ? ' is-lit' : ''}` },
    h('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8 }),
    h('text', { x: b.x + b.w / 2, y: b.y + (b.caption ? b.h / 2 - 2 : b.h / 2 + 5), 'text-anchor': 'middle', class: 'kl-name' }, b.label),
    b.caption ? text({ x: b.x + b.w / 2, y: b.y + b.h / 2 + 14, 'text-anchor': 'middle', class: 'kl-cap' }, b.caption, b.w - 10) : null)
}

function render (m) {
  const [kubectl, api, etcd, ...ctl] = m.control
  const ay = api.y + api.h
  const litNames = Object.keys(m.lit).map(k => k.split(':')[0])
  return {
    w: m.w, h: m.h,
    label: `${t('ar.cp')}: ${m.control.map(c => c.label).join(', ')}. ${t('ar.dp')}: ${m.nodes.length} × (kubelet, kube-proxy, ${t('ar.runtime')})` + (litNames.length ? ` [${[...new Set(litNames)].join(', ')}]` : ''),
    nodes: [
      h('rect', { x: 150, y: 16, width: 554, height: 200, rx: 12, class: 'kl-plane' }),
      h('text', { x: 166, y: 42, class: 'kl-h' }, t('ar.cp')),
      h('rect', { x: 8, y: 246, width: 704, height: 216, rx: 12, class: 'kl-plane is-data' }),
      h('text', { x: 24, y: 272, class: 'kl-h' }, t('ar.dp') + (m.more ? ` (${t('ar.more', { n: m.more })})` : '')),
      h('path', { class: 'kl-wire', d: `M${kubectl.x + kubectl.w} ${api.y + 25}H${api.x}M${api.x + api.w} ${api.y + 25}H${etcd.x}` + ctl.map(c => `M${c.x + c.w / 2} ${c.y}V132H${Math.min(c.x + c.w / 2, api.x + api.w - 20)}V${ay}`).join('') +
        `M337.5 ${ay}V232` + (m.nodes.length ? `M${m.nodes[0].x + m.nodes[0].w / 2} 232H${Math.max(337.5, m.nodes.at(-1).x + m.nodes.at(-1).w / 2)}` : '') + m.nodes.map(n => `M${n.x + n.w / 2} 232V282`).join('') }),
      m.control.map(drawBox),
      m.nodes.map(n => h('g', { key: 'n' + n.name, class: 'kl-anode' },
        h('rect', { x: n.x, y: 282, width: n.w, height: 172, rx: 8 }),
        text({ x: n.x + 10, y: 304, class: 'kl-sub' }, [n.name.replace(/\.(ec2|compute)\.internal$/, ''), n.zone].filter(Boolean).join(' · '), n.w - 20),
        n.parts.map(drawBox)))
    ]
  }
}

/** mount draws the architecture into el and lights components as the cluster changes. */
export function mount (el, store, options = {}) {
  let recent = []
  return mountDiagram(el, store, options, {
    name: 'architecture', model, render, kinds: [],
    onChange (ch, ctx) {
      if (ch.first) return
      const at = Date.now()
      recent = recent.filter(r => at - r.at <= WINDOW)
      recent.push({ at, component: 'api' }, { at, component: 'etcd' })
      for (const o of [...ch.added, ...ch.changed]) {
        if (o.kind === 'Event') recent.push({ at, event: o })
        if (o.kind === 'Node' && ch.added.includes(o)) recent.push({ at, component: 'ccm' })
      }
      if (ch.kinds.has('EndpointSlice')) recent.push({ at, component: 'proxy' })
      ctx.extra = { recent }
      ctx.schedule()
      clearTimeout(ctx.off); ctx.timers.delete(ctx.off)
      ctx.timers.add(ctx.off = setTimeout(ctx.schedule, WINDOW + 50))
    }
  })
}
