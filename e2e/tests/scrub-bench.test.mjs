// The scrubber's redraw time over a long history, in Chromium: a history of 10 000 recorded
// changes (a synthetic rolling churn of 40 Deployments' ReplicaSets and Pods over an hour, written
// where the server keeps the learner's history before it starts), then the pointer goes onto the
// slider and it is moved to 60 moments; each time counts from the input event to the cluster map
// drawn at that moment (the moment rebuilt, by the page once it keeps the log, else by the server,
// the diagram's redraw and two frames). Goal: p95 ≤ 100 ms. The test fails when the pods drawn at a
// moment are not the server's answer for it; the times are printed (FIGURE), not asserted.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from './server.mjs'
import { launch, newContext, openLab, showDiagram, figure, UI } from './browser.mjs'
import { nodes } from '../../assets/testdata/fixtures.mjs'

const CHANGES = 10_000
const MOMENTS = 60

/** history writes CHANGES lines of the recorder's format over the hour before now. */
function history () {
  const start = Date.now() - 3_600_000
  const step = 3_500_000 / CHANGES
  const lines = [JSON.stringify({ t: start, op: 'snapshot', objects: nodes })]
  const live = new Map()
  let rv = 1000
  const pod = (d, i, gen) => ({
    kind: 'Pod', namespace: 'default', name: `app${d}-${gen}-${i}`, uid: `u${d}-${gen}-${i}`, rv: String(++rv),
    phase: 'Running', status: 'Running', ready: true, readyCount: 1, containerCount: 1, restarts: 0,
    requests: { cpu: 50, memory: 64 << 20 }, images: [`nginx:1.25.${gen}`], node: nodes[(d + i) % nodes.length].name,
    owner: { kind: 'ReplicaSet', name: `app${d}-${gen}`, uid: `rs${d}-${gen}` }, labels: { app: `app${d}` }, created: new Date(start).toISOString()
  })
  for (let n = 0; n < CHANGES; n++) {
    const t = Math.round(start + 1 + n * step)
    const d = n % 40; const i = Math.floor(n / 40) % 3; const gen = Math.floor(n / 120) % 5
    const key = `${d}-${i}`
    if (live.has(key) && n % 2 === 1) {
      lines.push(JSON.stringify({ t, op: 'delete', obj: live.get(key) })); live.delete(key)
    } else {
      const p = pod(d, i, gen); live.set(key, p)
      lines.push(JSON.stringify({ t, op: 'upsert', obj: p }))
    }
  }
  return { text: lines.join('\n') + '\n', start, end: start + 3_500_000 }
}

describe('scrubber redraw over 10 000 changes', { timeout: 10 * 60_000 }, () => {
  let server, browser, context, page, dataDir, h

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kubelab-scrub-'))
    await mkdir(join(dataDir, 'history'), { recursive: true })
    h = history()
    await writeFile(join(dataDir, 'history', 'u1.jsonl'), h.text)
    server = await startServer({ dataDir })
    browser = await launch()
    context = await newContext(browser, server)
    ;({ page } = await openLab(context, 'kubectl-activity'))
  }, { timeout: 240_000 })

  after(async () => {
    await browser?.close().catch(() => {})
    await server?.stop()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }, { timeout: 60_000 })

  test('p95 of a redraw at a moment', { timeout: 300_000 }, async () => {
    await showDiagram(page, 'cluster-map')
    await page.locator('[data-scrub="live"]').click()
    await page.waitForFunction(() => +document.querySelector('#scrubber input[type="range"]').min > 0, null, { timeout: UI })
    // the learner's pointer reaches the slider before dragging it (the page starts keeping the log
    // then); the measure starts at once, so the first moments may wait for it
    await page.locator('#scrubber input[type="range"]').hover()
    const times = await page.evaluate(async ({ from, to, n }) => {
      const input = document.querySelector('#scrubber input[type="range"]')
      const host = document.getElementById('diagram')
      const frame = () => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))
      const out = []; const split = []; const drawn = []
      const liveMap = host.querySelector('.kl-cluster-map')
      // the pods the map draws (their chips' titles start with namespace/name), not those fading out
      const pods = () => [...host.querySelectorAll('.kl-cluster-map g.kl-chip:not(.kl-leave) title')].map(t => t.textContent.split('\n')[0]).sort()
      for (let k = 0; k < n; k++) {
        const at = Math.round(from + (to - from) * ((k * 37) % n) / n)
        const t0 = performance.now()
        input.value = String(at)
        input.dispatchEvent(new Event('input', { bubbles: true }))
        // drawn: the map mounted on the moments' store (not the live one, which stays until the first
        // moment's map replaces it) shows that moment (the slider rounds to its step of 100 ms)
        for (let w = 0; w < 500; w++) {
          const m = +(host.dataset.moment || 0)
          if (Math.abs(m - at) <= 100 && host.querySelector('.kl-cluster-map') !== liveMap) break
          await new Promise(resolve => setTimeout(resolve, 2))
        }
        const t1 = performance.now()
        await frame()
        out.push(performance.now() - t0)
        split.push(t1 - t0)
        drawn.push({ at: +host.dataset.moment, pods: pods() })
      }
      // the server's part alone: the same moments fetched, without drawing
      const fetched = []
      for (let k = 0; k < n; k++) {
        const at = Math.round(from + (to - from) * ((k * 37) % n) / n)
        const t0 = performance.now()
        await (await fetch(`/api/history?at=${at}`, { headers: { Accept: 'application/json' } })).json()
        fetched.push(performance.now() - t0)
      }
      // what the map drew at each moment is what the server says the cluster was then
      const wrong = []
      for (const d of drawn) {
        const { objects } = await (await fetch(`/api/history?at=${d.at}`, { headers: { Accept: 'application/json' } })).json()
        const want = objects.filter(o => o.kind === 'Pod').map(o => `${o.namespace}/${o.name}`).sort()
        if (JSON.stringify(want) !== JSON.stringify(d.pods)) wrong.push({ at: d.at, want: want.length, drawn: d.pods.length, first: want.find(x => !d.pods.includes(x)) || d.pods.find(x => !want.includes(x)) })
      }
      // the floor the machine's load sets: the same two frames with nothing to draw
      const idle = []
      for (let k = 0; k < n; k++) {
        const t0 = performance.now()
        await frame()
        idle.push(performance.now() - t0)
      }
      return { out, fetched, split, wrong, idle, pods: drawn.map(d => d.pods.length) }
    }, { from: h.start + 1000, to: h.end, n: MOMENTS })
    const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] }
    const p = q => pct(times.out, q)
    const load = (await import('node:os')).loadavg()[0].toFixed(1)
    figure(`scrubber redraw over ${CHANGES} changes, ${MOMENTS} moments: p50 ${p(0.5).toFixed(0)} ms, p95 ${p(0.95).toFixed(0)} ms, max ${pct(times.out, 1).toFixed(0)} ms; ` +
      `the server's answer alone: p50 ${pct(times.fetched, 0.5).toFixed(0)} ms, p95 ${pct(times.fetched, 0.95).toFixed(0)} ms; ` +
      `until the moment reached the page: p50 ${pct(times.split, 0.5).toFixed(0)} ms, p95 ${pct(times.split, 0.95).toFixed(0)} ms; ` +
      `two frames with nothing to draw: p50 ${pct(times.idle, 0.5).toFixed(0)} ms, p95 ${pct(times.idle, 0.95).toFixed(0)} ms (load average ${load})`)
    assert.deepEqual(times.wrong, [], 'each moment drawn is the cluster the server rebuilds at that moment')
    assert.ok(Math.min(...times.pods) > 0, 'the map draws the moment\'s pods')
    await page.locator('#scrubber').screenshot({ path: '/tmp/kubelab-scrub-bench.png' })
    // the goal is p95 ≤ 100 ms on an idle machine; a shared, loaded one makes any bound here a
    // coin toss, so the figure is printed and what fails is a moment drawn wrong
    assert.equal(times.out.length, MOMENTS)
  })
})
