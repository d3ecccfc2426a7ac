// Why here, why not: the sandbox scheduler's own record of its last attempt to place a pod
// (SchedulingDecision objects, docs/stream.md): nodes as rows, the filter plugins as columns
// (which one removed each node and why), the scores of the rest with their weights, the winner,
// and for a pod that fits nowhere the single changes the recorder checked against the filters.

import { h, mountDiagram } from '../view.js'
import { t } from '../i18n.js'
import { view, live, timeOf } from './common.js'

const MAX_PODS = 12

/** model: {pods [{name, namespace, pending}], pod, decision, rows, filterCols, scoreCols, suggestions, text}. opts: name, namespace, lang. */
export function model (state, opts = {}) {
  const v = view(state); const l = opts.lang
  const decisions = new Map(v.get('SchedulingDecision').filter(d => d.decision).map(d => [`${d.namespace || ''}/${d.name}`, d.decision]))
  const pods = v.get('Pod').filter(p => live(p) && (!opts.namespace || p.namespace === opts.namespace))
    .map(p => ({ p, d: decisions.get(`${p.namespace || ''}/${p.name}`) }))
    .filter(x => x.d && (!x.d.uid || !x.p.uid || x.d.uid === x.p.uid))
  // pending first, then the learner's pods before kube-system's, newest first
  pods.sort((a, b) => (!!a.p.node - !!b.p.node) || ((a.p.namespace === 'kube-system') - (b.p.namespace === 'kube-system')) ||
    timeOf(b.p) - timeOf(a.p) || a.p.name.localeCompare(b.p.name))
  const chosen = (opts.name && pods.find(x => x.p.name === opts.name && (!opts.podNamespace || x.p.namespace === opts.podNamespace))) || pods[0]
  if (!chosen) return { pods: [], pod: null, text: t('wh.none', null, l) }
  const d = chosen.d
  const filterCols = d.filterPlugins || []
  const scoreCols = (d.scorePlugins || []).filter(s => (d.nodes || []).some(n => (n.scores || []).some(x => x.plugin === s.plugin)))
  const rows = (d.nodes || []).map(n => {
    const byFilter = {}
    let rejected = null
    for (const f of n.filters || []) {
      byFilter[f.plugin] = f.passed ? (f.skipped ? 'skip' : 'pass') : 'fail'
      if (!f.passed) rejected = { plugin: f.plugin, reason: f.reason || '', stage: f.stage || '' }
    }
    const scores = {}
    for (const s of n.scores || []) scores[s.plugin] = s
    return {
      name: n.name, zone: n.zone || '', feasible: !!n.feasible, chosen: !!d.node && n.name === d.node,
      cells: filterCols.map(p => byFilter[p] || (rejected ? 'notRun' : 'pass')),
      rejected, scores: scoreCols.map(c => scores[c.plugin] || null), total: n.total || 0, rank: n.rank || 0
    }
  })
  const lang = l === 'en' ? 'en' : (l || 'ko')
  const suggestions = (d.suggestions || []).map(s => ({
    plugin: s.plugin,
    text: (s.text && (s.text[lang] || s.text.en)) || '',
    target: s.target || {},
    nodes: s.nodes || [],
    patch: JSON.stringify(s.patch || {}),
    command: s.target && s.target.kind !== 'Pod'
      ? `kubectl patch ${String(s.target.kind).toLowerCase()} ${s.target.name}${s.target.namespace ? ' -n ' + s.target.namespace : ''} --type strategic -p '${JSON.stringify(s.patch || {})}'`
      : ''
  }))
  const feasible = rows.filter(r => r.feasible).length
  const text = d.node
    ? (d.scored ? t('wh.placed', { node: d.node, n: feasible, total: rows.length }, l) : t('wh.placedOnly', { node: d.node, total: rows.length }, l))
    : t('wh.nowhere', { total: rows.length }, l)
  return {
    pods: pods.slice(0, MAX_PODS).map(x => ({ name: x.p.name, namespace: x.p.namespace || '', pending: !x.p.node })),
    pod: { name: chosen.p.name, namespace: chosen.p.namespace || '', pending: !chosen.p.node },
    decision: { node: d.node || '', scored: !!d.scored, time: d.time || '' },
    filterCols, scoreCols, rows, suggestions, text
  }
}

const MARK = { pass: '✓', skip: '–', fail: '✕', notRun: '·' }

function render (m, ctx) {
  if (!m.pod) return { html: [h('p', { class: 'kl-empty' }, m.text)] }
  const choose = (name, namespace) => { ctx.extra = { name, podNamespace: namespace }; ctx.update() }
  // the verdict comes right after the node: on a narrow screen the plugin columns scroll
  const head = [h('th', { scope: 'col' }, t('wh.node')), h('th', { scope: 'col' }, t('wh.why'))]
    .concat(m.filterCols.map(p => h('th', { scope: 'col', class: 'kl-wh-f', title: p }, h('span', null, p))))
    .concat(m.scoreCols.map(s => h('th', { scope: 'col', class: 'kl-wh-s', title: `${s.plugin} ×${s.weight}` }, h('span', null, `${s.plugin} ×${s.weight}`))))
    .concat(m.decision.scored ? [h('th', { scope: 'col' }, t('wh.total'))] : [])
  const body = m.rows.map(r => h('tr', { key: r.name, class: `kl-wh-row${r.chosen ? ' is-chosen' : ''}${r.feasible ? '' : ' is-out'}` },
    [h('th', { scope: 'row' }, [h('strong', null, r.name), h('span', { class: 'kl-sub' }, r.zone)]),
      h('td', { class: 'kl-wh-why' }, r.rejected ? `${r.rejected.plugin}${r.rejected.stage ? ' (' + r.rejected.stage + ')' : ''}: ${r.rejected.reason}` : (r.chosen ? t('wh.chosen') : t('wh.ok')))]
      .concat(r.cells.map((c, i) => h('td', { key: m.filterCols[i], class: 'kl-wh-c c-' + c, title: `${m.filterCols[i]}: ${t('wh.c.' + c)}` }, MARK[c])))
      .concat(m.scoreCols.map((c, i) => h('td', { key: c.plugin, class: 'kl-wh-n' }, r.scores[i] ? String(r.scores[i].score) : '')))
      .concat(m.decision.scored ? [h('td', { class: 'kl-wh-n kl-wh-total' }, r.feasible ? String(r.total) : '')] : [])))
  return {
    html: [
      m.pods.length > 1
        ? h('div', { class: 'kl-wp-pods', role: 'group' }, m.pods.map(p => h('button', { key: p.namespace + '/' + p.name, type: 'button', class: 'kl-btn' + (p.pending ? ' is-pending' : ''), 'aria-pressed': String(p.name === m.pod.name && p.namespace === m.pod.namespace), onclick: () => choose(p.name, p.namespace) }, p.name)))
        : null,
      h('h3', { class: 'kl-wp-title' }, t(m.pod.pending ? 'wh.titleNot' : 'wh.title', { pod: m.pod.name })),
      h('p', { class: 'kl-wp-avail' }, m.text),
      h('div', { class: 'kl-wh-scroll' }, h('table', { class: 'kl-wh-table' }, [h('thead', null, h('tr', null, head)), h('tbody', null, body)])),
      m.decision.scored ? h('p', { class: 'kl-sub' }, t('wh.scoreNote')) : null,
      m.suggestions.length
        ? h('section', { class: 'kl-wh-sugg' }, [h('h4', null, t('wh.suggest')), h('ol', null, m.suggestions.map((s, i) => h('li', { key: i }, [
            h('p', null, s.text),
            s.command
              ? h('div', { class: 'kl-code-actions' }, [h('code', null, s.command), h('button', { type: 'button', class: 'kl-btn', 'data-run': s.command }, t('wh.run')), h('button', { type: 'button', class: 'kl-btn', 'data-copy': s.command }, t('wh.copy'))])
              : h('div', { class: 'kl-code-actions' }, [h('p', { class: 'kl-sub' }, t('wh.podNote')), h('code', null, s.patch), h('button', { type: 'button', class: 'kl-btn', 'data-copy': s.patch }, t('wh.copy'))])
          ])))])
        : null
    ]
  }
}

/** mount shows the scheduler's reasoning for pod options.name (or the most interesting one) into el. */
export function mount (el, store, options = {}) {
  return mountDiagram(el, store, options, { name: 'why-here', model, render, kinds: ['Pod', 'Node', 'SchedulingDecision'] })
}
