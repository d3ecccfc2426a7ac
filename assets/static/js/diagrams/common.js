// Pure helpers shared by the diagrams' model() functions (no DOM here).

/**
 * view adapts what a model() gets: a store (with get(kind) and history()) or a plain object
 * {Pod: [...], Node: [...], history: [...]}.
 */
export function view (s) {
  if (s && typeof s.get === 'function') return { get: k => s.get(k) || [], history: () => s.history?.() || [], more: k => s.more?.(k) || 0 }
  return { get: k => s?.[k] || [], history: () => s?.history || [], more: k => s?.more?.[k] || 0 }
}

/** podTone classifies a pod by its STATUS column: ok, wait, done, err or gone (terminating). */
export function podTone (p) {
  const s = p.status || p.phase || ''
  if (p.deleting || s === 'Terminating') return 'gone'
  if (s === 'Completed' || s === 'Succeeded') return 'done'
  if (s === 'Running') return p.ready === false && p.containerCount ? 'wait' : 'ok'
  if (s === 'Pending' || s === 'ContainerCreating' || s === 'PodInitializing' || s.startsWith('Init:') || s === '') return 'wait'
  return 'err'
}

/** live reports whether a pod still counts (not finished, not being deleted). */
export const live = p => !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed'

/** refersTo reports whether owner reference ref points at object o (uid when both have one). */
export const refersTo = (ref, o) => !!ref && (ref.uid && o.uid ? ref.uid === o.uid : ref.kind === o.kind && ref.name === o.name)

/** ownerOf returns the object that owns o, if it is in the state. */
export function ownerOf (v, o) {
  const r = o.owner
  if (!r) return undefined
  return v.get(r.kind).find(x => (x.namespace || '') === (o.namespace || '') && refersTo(r, x))
}

/** ownedBy reports whether o's owner chain (o -> owner -> owner...) reaches target. */
export function ownedBy (v, o, target) {
  for (let x = o, i = 0; x && i < 4; i++) {
    if (!x.owner || (x.namespace || '') !== (target.namespace || '')) return false
    if (refersTo(x.owner, target)) return true
    x = ownerOf(v, x)
  }
  return false
}

/** podsOf returns the pods whose owner chain reaches target, e.g. Pod -> ReplicaSet -> Deployment. */
export const podsOf = (v, target) => v.get('Pod').filter(p => ownedBy(v, p, target))

/** selects reports whether labels match an equality selector map (an empty selector matches nothing). */
export function selects (selector, labels) {
  const ks = Object.keys(selector || {})
  return ks.length > 0 && ks.every(k => (labels || {})[k] === selector[k])
}

const num = x => { const n = Number(x); return Number.isFinite(n) ? n : 0 }
/** timeOf returns an object's time in ms: last (events), else created, else 0. */
export const timeOf = o => Date.parse(o.last || o.created || '') || 0

/** latest returns the most recently changed object (highest resourceVersion, then newest). */
export const latest = list => list.reduce((a, o) => !a || num(o.rv) > num(a.rv) || (num(o.rv) === num(a.rv) && timeOf(o) > timeOf(a)) ? o : a, undefined)

/** pick returns the object named by opts (name, namespace, kind within kinds) or the latest of kinds[0]. */
export function pick (v, kinds, opts = {}) {
  const ks = opts.kind && kinds.includes(opts.kind) ? [opts.kind] : kinds
  if (opts.name) {
    for (const k of ks) {
      const o = v.get(k).find(x => x.name === opts.name && (!opts.namespace || x.namespace === opts.namespace))
      if (o) return o
    }
    return undefined
  }
  const all = v.get(ks[0]).filter(o => !opts.namespace || o.namespace === opts.namespace)
  // The learner's own workloads come first: the system's add-ons (coredns in kube-system) change
  // on their own and would steal the diagram.
  const own = all.filter(o => !SYSTEM_NAMESPACES.has(o.namespace))
  return latest(own.length ? own : all)
}

/** SYSTEM_NAMESPACES hold the cluster's own add-ons rather than the learner's work. */
export const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease'])

/** cpu formats millicores ("250m"); mem formats bytes as Mi or Gi. */
export const cpu = m => `${Math.round(num(m))}m`
export function mem (b) {
  const mi = num(b) / 1048576
  return mi >= 1024 ? `${+(mi / 1024).toFixed(1)}Gi` : `${Math.round(mi)}Mi`
}

/** trunc shortens s to n characters with an ellipsis; mid keeps the end too (pod name suffixes). */
export const trunc = (s, n) => (s = String(s ?? '')).length > n ? s.slice(0, n - 1) + '…' : s
export const mid = (s, n) => (s = String(s ?? '')).length > n ? s.slice(0, Math.max(1, n - 7)) + '…' + s.slice(-6) : s

/** usage sums the requests and counts the live pods on each node: Map(node name -> {cpu, memory, pods}). */
export function usage (pods) {
  const u = new Map()
  for (const p of pods) {
    if (!p.node || !live(p)) continue
    const x = u.get(p.node) || u.set(p.node, { cpu: 0, memory: 0, pods: 0 }).get(p.node)
    x.cpu += num(p.requests?.cpu); x.memory += num(p.requests?.memory); x.pods++
  }
  return u
}

/** zonesOf returns the sorted zones of the nodes ('' for nodes without one, last). */
export const zonesOf = nodes => [...new Set(nodes.map(n => n.zone || ''))].sort((a, b) => !a - !b || a.localeCompare(b))
