// The browser's copy of the learner's cluster, fed by the websocket stream (docs/stream.md).
// Objects are keyed by kind/namespace/name. Subscribers get what changed, so diagrams can
// animate only that.

/** keyOf returns the store key of a normalized object: "kind/namespace/name". */
export const keyOf = o => `${o.kind}/${o.namespace || ''}/${o.name}`

const same = (a, b) => (a.rv && b.rv) ? a.rv === b.rv && !!a.deleting === !!b.deleting : JSON.stringify(a) === JSON.stringify(b)

/**
 * createStore returns a store; past marks one that holds moments of the recorded history (its
 * diagrams jump from one moment to another instead of animating changes). A change passed to subscribers looks like
 * {type: 'snapshot'|'upsert'|'delete', seq, added: [obj], changed: [obj], removed: [obj],
 *  prev: Map(key -> previous obj), kinds: Set(kind)}.
 */
export function createStore ({ historyLimit = 200, past = false } = {}) {
  const byKind = new Map() // kind -> Map(key -> obj)
  const sorted = new Map() // kind -> cached sorted array
  const subs = new Set()
  let log = []
  let seq = null
  let snapshots = 0
  let more = {} // kind -> objects the last snapshot left out (the server bounds each kind)

  const bucket = k => byKind.get(k) || byKind.set(k, new Map()).get(k)

  function emit (type, added, changed, removed, prev) {
    if (!added.length && !changed.length && !removed.length && type !== 'snapshot') return null
    const kinds = new Set()
    const at = Date.now()
    const snap = type === 'snapshot'
    for (const o of added) { kinds.add(o.kind); log.push({ op: 'add', obj: o, at, snap }) }
    for (const o of changed) { kinds.add(o.kind); log.push({ op: 'change', obj: o, prev: prev.get(keyOf(o)), at, snap }) }
    for (const o of removed) { kinds.add(o.kind); log.push({ op: 'remove', obj: o, at, snap }) }
    if (log.length > historyLimit) log = log.slice(-historyLimit)
    for (const k of kinds) sorted.delete(k)
    const change = { type, seq, added, changed, removed, prev, kinds, first: snap && snapshots === 1 }
    for (const fn of [...subs]) {
      try { fn(change) } catch (e) { console.error('kubelab store subscriber', e) }
    }
    return change
  }

  /** apply applies one stream message (snapshot, upsert or delete) and returns the change, or null. */
  function apply (msg) {
    if (!msg || typeof msg !== 'object') return null
    if (msg.seq != null) seq = msg.seq
    const prev = new Map()
    if (msg.type === 'snapshot') {
      snapshots++
      more = msg.more && typeof msg.more === 'object' ? msg.more : {}
      const next = new Map()
      for (const o of msg.objects || []) if (o && o.kind) next.set(keyOf(o), o)
      const added = []; const changed = []; const removed = []
      for (const m of byKind.values()) {
        for (const [k, o] of m) if (!next.has(k)) removed.push(o)
      }
      for (const [k, o] of next) {
        const old = byKind.get(o.kind)?.get(k)
        if (!old) added.push(o)
        else if (!same(old, o)) { changed.push(o); prev.set(k, old) }
      }
      byKind.clear(); sorted.clear()
      for (const [k, o] of next) bucket(o.kind).set(k, o)
      return emit('snapshot', added, changed, removed, prev)
    }
    const o = msg.obj
    if (!o || !o.kind) return null
    const k = keyOf(o)
    const m = bucket(o.kind)
    const old = m.get(k)
    if (msg.type === 'upsert') {
      m.set(k, o)
      if (!old) return emit('upsert', [o], [], [], prev)
      prev.set(k, old)
      return emit('upsert', [], [o], [], prev)
    }
    if (msg.type === 'delete') {
      if (!old) return null
      m.delete(k)
      return emit('delete', [], [], [o], prev)
    }
    return null
  }

  return {
    apply,
    /** past reports a store of the history's moments rather than the live cluster. */
    past,
    /** get returns the objects of one kind, sorted by namespace then name. Do not mutate. */
    get (kind) {
      let a = sorted.get(kind)
      if (!a) {
        a = [...(byKind.get(kind)?.values() || [])].sort((x, y) =>
          (x.namespace || '').localeCompare(y.namespace || '') || x.name.localeCompare(y.name))
        sorted.set(kind, a)
      }
      return a
    },
    /** find returns one object or undefined. */
    find: (kind, namespace, name) => byKind.get(kind)?.get(`${kind}/${namespace || ''}/${name}`),
    /** kinds returns the kinds present. */
    kinds: () => [...byKind.keys()].filter(k => byKind.get(k).size),
    /** more returns how many objects of a kind the last snapshot left out (0 when none). */
    more: kind => Number(more[kind]) || 0,
    /** size returns the number of objects. */
    size: () => [...byKind.values()].reduce((n, m) => n + m.size, 0),
    /** history returns recent changes, oldest first: {op: 'add'|'change'|'remove', obj, prev, at, snap}. */
    history: () => log,
    /** subscribe calls fn(change) after each change; it returns an unsubscribe function. */
    subscribe (fn) { subs.add(fn); return () => subs.delete(fn) },
    /** seq is the sequence number of the last applied message. */
    get seq () { return seq },
    /** clear forgets everything (subscribers stay). */
    clear () { byKind.clear(); sorted.clear(); log = []; seq = null; more = {} }
  }
}
