// Failure drills: under the diagrams, controls that fail and repair the learner's own cluster
// without the console (a learner on a phone can use them too): stop a node's kubelet, fail a
// whole availability zone, cordon and drain a node, and undo each. The state of each node comes
// from GET /api/drills (the kubelet a drill stopped) and the stream (Ready, cordoned); the cluster
// itself does the rest (NotReady, taints, eviction, replacement), and the diagrams show it.

import { h, patch } from './view.js'
import { t } from './i18n.js'
import { postJSON } from './console.js'

/**
 * model groups nodes by zone with the actions each allows. drill: [{name, zone, kubeletStopped,
 * cordoned, ready, simulated}] from /api/drills; live: the stream's Node objects (fresher ready
 * and unschedulable). Returns [{zone, failed, simulated, nodes: [{name, status, kubelet, cordoned}]}].
 */
export function model (drill, live = []) {
  const byName = new Map(live.map(n => [n.name, n]))
  const zones = new Map()
  for (const d of drill) {
    const n = byName.get(d.name) || {}
    const ready = n.ready ?? d.ready
    const cordoned = n.unschedulable ?? d.cordoned
    const status = d.kubeletStopped ? (ready ? 'kubeletStopping' : 'kubeletStopped') : (ready ? 'ready' : 'notReady')
    const z = zones.get(d.zone) || zones.set(d.zone, { zone: d.zone, nodes: [] }).get(d.zone)
    z.nodes.push({ name: d.name, status, kubelet: !d.kubeletStopped, cordoned: !!cordoned, simulated: !!d.simulated })
  }
  return [...zones.values()].sort((a, b) => a.zone.localeCompare(b.zone)).map(z => ({
    ...z, failed: z.nodes.every(n => !n.kubelet), simulated: z.nodes.some(n => n.simulated)
  }))
}

function button (label, action, danger) {
  return h('button', { type: 'button', class: 'kl-btn kl-small' + (danger ? ' kl-danger' : ''), 'data-drill': JSON.stringify(action) }, label)
}

function render (zones, message) {
  return [
    h('p', { class: 'help' }, t('dr.help')),
    ...zones.map(z => h('div', { class: 'drill-zone', 'data-zone': z.zone },
      h('div', { class: 'drill-zone-head' },
        h('strong', null, z.zone || t('cm.noZone')),
        z.simulated && (z.failed
          ? button(t('dr.zoneRecover'), { url: `/api/drills/zones/${encodeURIComponent(z.zone)}`, body: { failed: false } })
          : button(t('dr.zoneFail'), { url: `/api/drills/zones/${encodeURIComponent(z.zone)}`, body: { failed: true } }, true))),
      h('ul', { class: 'drill-nodes' }, ...z.nodes.map(n => {
        const node = `/api/drills/nodes/${encodeURIComponent(n.name)}`
        return h('li', { 'data-node': n.name, 'data-status': n.status },
          h('span', { class: 'drill-node-name' }, n.name),
          h('span', { class: 'drill-status' }, t('dr.' + n.status) + (n.cordoned ? ' · ' + t('cm.cordoned') : '')),
          h('span', { class: 'drill-actions' },
            n.simulated && (n.kubelet
              ? button(t('dr.stop'), { url: node + '/kubelet', body: { running: false } }, true)
              : button(t('dr.start'), { url: node + '/kubelet', body: { running: true } })),
            n.cordoned
              ? button(t('dr.uncordon'), { url: node + '/cordon', body: { cordoned: false } })
              : button(t('dr.cordon'), { url: node + '/cordon', body: { cordoned: true } }),
            !n.cordoned && button(t('dr.drain'), { url: node + '/drain', body: {} }, true)))
      })))),
    h('p', { class: 'drill-message', role: 'status' }, message || '')
  ]
}

/**
 * mountDrills shows the drill controls in el (a <details>: nothing is fetched until it opens)
 * and keeps them current with the store. options: fetchImpl, doc.
 */
export function mountDrills (el, store, { fetchImpl = globalThis.fetch, doc = globalThis.document } = {}) {
  const box = doc.createElement('div')
  box.className = 'drill-body'
  el.append(box)
  let drill = []; let message = ''; let loaded = false; let timer = null
  const draw = () => patch(box, render(model(drill, store.get('Node')), message))
  async function load () {
    try {
      const res = await fetchImpl('/api/drills', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      const data = await res.json()
      if (!res.ok) { message = data.error || `HTTP ${res.status}`; draw(); return }
      drill = data.nodes || []; loaded = true; draw()
    } catch (e) { message = String(e.message || e); draw() }
  }
  const onToggle = () => { if (el.open && !loaded) load() }
  el.addEventListener('toggle', onToggle)
  const unsub = store.subscribe(c => {
    if (!loaded || !c.kinds.has('Node')) return
    draw()
    clearTimeout(timer); timer = setTimeout(load, 500)
  })
  async function onClick (e) {
    const b = e.target.closest?.('[data-drill]')
    if (!b || !box.contains(b)) return
    const { url, body } = JSON.parse(b.dataset.drill)
    b.disabled = true
    try {
      const data = await postJSON(url, body, { fetchImpl, doc })
      message = data.error || (data.evicting ? t('dr.evicting', { n: data.evicting.length }) : t('dr.done'))
    } catch (err) { message = String(err.message || err) }
    b.disabled = false // the redraw may reuse this element for the opposite action
    await load()
  }
  box.addEventListener('click', onClick)
  if (el.open) load()
  return {
    reload: load,
    destroy () { unsub(); clearTimeout(timer); el.removeEventListener('toggle', onToggle); box.remove() }
  }
}
