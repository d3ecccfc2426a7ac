// The live diagrams of a lab page, fed by the websocket stream from the learner's real
// sandbox: pods appear on the cluster map, the control loop shows desired vs current while the
// Deployment controller repairs it, the rolling update shows both ReplicaSets, and why-pending
// explains an unschedulable pod.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { launch, newContext, openLab, runCommand, showDiagram, diagramLabel, figure, UI } from './browser.mjs'

const LAB = 'kubectl-activity'
const shot = name => `/tmp/kubelab-diagram-${name}.png`

/** chips returns the pod chips on the cluster map (not the ones fading out): [{title, tone}]. */
const chips = page => page.evaluate(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave)')]
  .map(g => ({ title: g.querySelector('title')?.textContent || '', tone: (g.getAttribute('class').match(/tone-(\w+)/) || [])[1] })))

describe('diagrams on a lab page', { timeout: 15 * 60_000 }, () => {
  let server, browser, context, page, watch
  let failed = false

  before(async () => {
    server = await startServer()
    browser = await launch()
    context = await newContext(browser, server)
    ;({ page, watch } = await openLab(context, LAB))
  }, { timeout: 180_000 })

  after(async () => {
    if (page && failed) await page.screenshot({ path: shot('failure'), fullPage: true }).catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop()
    if (failed && server) console.log('--- kubelab log (tail) ---\n' + server.log().slice(-4000))
  }, { timeout: 60_000 })

  const t = (name, fn) => test(name, { timeout: 180_000 }, async () => {
    try { await fn() } catch (e) { failed = true; throw e }
  })

  t('cluster map: a Deployment of 3 puts 3 pod chips on the nodes', async () => {
    await showDiagram(page, 'cluster-map')
    // the simulated nodes are drawn before anything runs
    await page.waitForFunction(() => document.querySelectorAll('#diagram .kl-cluster-map g.kl-node').length >= 1, null, { timeout: UI })
    assert.equal((await chips(page)).filter(c => c.title.startsWith('default/web-')).length, 0)
    const r = await runCommand(page, 'kubectl create deployment web --image=nginx:1.25.1 --replicas=3')
    assert.match(r.output, /deployment\.apps\/web created/, r.text)
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave) title')]
      .filter(t => t.textContent.startsWith('default/web-')).length === 3, null, { timeout: UI })
    // and they end up Running (green chips) on nodes, not in the scheduling queue
    await page.waitForFunction(() => {
      const g = [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave)')]
        .filter(c => c.querySelector('title')?.textContent.startsWith('default/web-'))
      return g.length === 3 && g.every(c => c.classList.contains('tone-ok'))
    }, null, { timeout: UI })
    const label = await diagramLabel(page)
    assert.ok(label.length > 0, 'the map has a text summary')
    await page.waitForTimeout(500) // let the pop-in animation finish
    await page.locator('#diagram').screenshot({ path: shot('cluster-map') })
  })

  t('control loop: deleting the pods shows desired 3 vs current < 3, then in sync again', async () => {
    await showDiagram(page, 'control-loop')
    await page.waitForFunction(() => {
      const l = document.querySelector('#diagram svg > title')?.textContent || ''
      return /^Deployment web\b/.test(l) && /Desired: replicas 3/.test(l) && /Current: 3 ready pods/.test(l) &&
        !!document.querySelector('#diagram .kl-cycle.is-sync')
    }, null, { timeout: UI })
    // record every state the diagram goes through (it may be quick)
    await page.evaluate(() => {
      window.__loop = []
      const host = document.getElementById('diagram')
      const read = () => {
        const l = host.querySelector('svg > title')?.textContent || ''
        const m = l.match(/Desired: replicas (\d+), Current: (\d+) ready pods/)
        const cycle = host.querySelector('.kl-cycle')
        if (m) window.__loop.push({ desired: +m[1], current: +m[2], sync: !!cycle?.classList.contains('is-sync'), center: host.querySelector('.kl-center')?.textContent })
      }
      window.__loopObserver = new MutationObserver(read)
      window.__loopObserver.observe(host, { subtree: true, childList: true, characterData: true, attributes: true })
    })
    const r = await runCommand(page, 'kubectl delete pod -l app=web --wait=false')
    assert.equal((r.output.match(/deleted/g) || []).length, 3, r.text)
    await page.waitForFunction(() => window.__loop.some(s => s.desired === 3 && s.current < 3 && !s.sync), null, { timeout: UI })
    if (await page.locator('#diagram .kl-cycle.is-busy').count()) await page.locator('#diagram').screenshot({ path: shot('control-loop') })
    await page.waitForFunction(() => {
      const l = document.querySelector('#diagram svg > title')?.textContent || ''
      return /Desired: replicas 3, Current: 3 ready pods/.test(l) && !!document.querySelector('#diagram .kl-cycle.is-sync')
    }, null, { timeout: 60_000 })
    const seen = await page.evaluate(() => { window.__loopObserver.disconnect(); return window.__loop })
    const worst = Math.min(...seen.map(s => s.current))
    console.log(`control loop went through ${seen.length} drawings; fewest ready pods seen: ${worst}`)
    assert.ok(worst < 3)
    await page.waitForTimeout(500)
    await page.locator('#diagram').screenshot({ path: shot('control-loop-sync') })
    // if the busy moment was too quick to catch, the in-sync picture stands for it
    const fs = await import('node:fs')
    if (!fs.existsSync(shot('control-loop'))) fs.copyFileSync(shot('control-loop-sync'), shot('control-loop'))
  })

  // the rolling update's interval, for the history test after it
  const roll = { start: 0, end: 0 }

  t('rolling update: set image shows two ReplicaSets and revision 2', async () => {
    await showDiagram(page, 'rolling-update')
    await page.waitForFunction(() => document.querySelectorAll('#diagram .kl-rolling-update g.kl-rs').length === 1, null, { timeout: UI })
    await page.waitForTimeout(1200) // a moment before the command, on the history's clock
    roll.start = Date.now()
    const r = await runCommand(page, 'kubectl set image deployment/web nginx=nginx:1.25.2')
    assert.match(r.output, /deployment\.apps\/web image updated/, r.text)
    await page.waitForFunction(() => {
      const rs = [...document.querySelectorAll('#diagram .kl-rolling-update g.kl-rs')]
      const text = rs.map(g => g.textContent).join('\n')
      return rs.length === 2 && /revision 1/.test(text) && /revision 2/.test(text) &&
        rs.some(g => g.classList.contains('is-new')) && rs.some(g => g.classList.contains('is-old'))
    }, null, { timeout: UI })
    const cols = await page.evaluate(() => [...document.querySelectorAll('#diagram g.kl-rs')].map(g => ({
      cls: g.getAttribute('class'), text: g.textContent
    })))
    const neu = cols.find(c => /is-new/.test(c.cls)); const old = cols.find(c => /is-old/.test(c.cls))
    assert.match(neu.text, /revision 2/); assert.match(neu.text, /nginx:1\.25\.2/)
    assert.match(old.text, /revision 1/); assert.match(old.text, /nginx:1\.25\.1/)
    await page.locator('#diagram').screenshot({ path: shot('rolling-update-during') })
    // the rollout completes: the new ReplicaSet has all 3 ready, the old one none
    await page.waitForFunction(() => {
      const rs = [...document.querySelectorAll('#diagram g.kl-rs')]
      const n = rs.find(g => g.classList.contains('is-new')); const o = rs.find(g => g.classList.contains('is-old'))
      return n && o && /desired 3 · ready 3/.test(n.textContent) && /desired 0 · ready 0/.test(o.textContent)
    }, null, { timeout: 60_000 })
    roll.end = Date.now()
    await page.waitForTimeout(600)
    await page.locator('#diagram').screenshot({ path: shot('rolling-update') })
  })

  t('history: the rolling update scrubbed back to its middle, compared before and after, replayed at 1/4x', async () => {
    assert.ok(roll.start && roll.end, 'the rolling update ran')
    await showDiagram(page, 'rolling-update')
    await page.locator('[data-scrub="live"]').click() // the range up to now
    await page.waitForFunction(end => +document.querySelector('#scrubber input[type="range"]').max >= end, roll.end, { timeout: UI })
    // a moment of the rollout, as the server recorded it, where both ReplicaSets hold pods
    const mid = await page.evaluate(async ({ start, end }) => {
      // on the slider's steps (100 ms from its start), which a value set on it is rounded to
      const min = +document.querySelector('#scrubber input[type="range"]').min
      for (let at = min + Math.ceil((start - min) / 100) * 100; at <= end; at += 100) {
        const res = await fetch(`/api/history?at=${at}`, { headers: { Accept: 'application/json' } })
        const rs = (await res.json()).objects.filter(o => o.kind === 'ReplicaSet' && o.namespace === 'default' && o.name.startsWith('web-'))
        if (rs.length === 2 && rs.every(o => Number(o.replicas) > 0)) {
          return { at, rs: rs.map(o => ({ image: (o.images || [])[0], desired: Number(o.replicas), ready: Number(o.readyReplicas ?? 0) })) }
        }
      }
      return null
    }, roll)
    assert.ok(mid, 'the history holds a moment of the rollout with both ReplicaSets scaled up')
    const scrubTo = at => page.evaluate(at => {
      const input = document.querySelector('#scrubber input[type="range"]')
      input.value = String(at)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    }, at)
    await scrubTo(mid.at)
    await page.waitForFunction(at => document.querySelector('#diagram')?.dataset.moment === String(at), mid.at, { timeout: UI })
    // the diagram draws both ReplicaSets as they were then: image, desired and ready of each
    await page.waitForFunction(want => {
      const rs = [...document.querySelectorAll('#diagram .kl-rolling-update g.kl-rs')].map(g => g.textContent)
      return rs.length === 2 && want.every(w => rs.some(t => t.includes(w.image) && t.includes(`desired ${w.desired} · ready ${w.ready}`)))
    }, mid.rs, { timeout: UI })
    const drawn = await page.evaluate(() => [...document.querySelectorAll('#diagram .kl-rolling-update g.kl-rs')].map(g => g.textContent))
    figure(`rolling update scrubbed to its middle: ${JSON.stringify(mid.rs)}`)
    assert.ok(drawn.some(t => /nginx:1\.25\.1/.test(t) && /revision 1/.test(t)) && drawn.some(t => /nginx:1\.25\.2/.test(t) && /revision 2/.test(t)), drawn.join('\n'))
    await page.waitForTimeout(300)
    await page.locator('#diagram').screenshot({ path: shot('history-rolling-middle') })

    // before and after: from the moment before the command to now
    const before = await page.evaluate(at => { // the slider's step at or before the command
      const min = +document.querySelector('#scrubber input[type="range"]').min
      return min + Math.floor((at - min) / 100) * 100
    }, roll.start)
    await scrubTo(before)
    await page.waitForFunction(at => document.querySelector('#diagram')?.dataset.moment === String(at), before, { timeout: UI })
    // before the command: one ReplicaSet (the diagram redraws on the next frame)
    await page.waitForFunction(() => document.querySelectorAll('#diagram .kl-rolling-update g.kl-rs').length === 1, null, { timeout: UI })
    await page.locator('[data-scrub="compare"]').click()
    await page.waitForFunction(() => /~ Deployment default\/web/.test(document.querySelector('#scrubber .kl-scrub-diff')?.textContent || ''), null, { timeout: UI })
    const diff = await page.locator('#scrubber .kl-scrub-diff').textContent()
    assert.match(diff, /\+ ReplicaSet default\/web-/, diff)
    assert.match(diff, /images\[0\]: nginx:1\.25\.1 → nginx:1\.25\.2/, 'the Deployment\'s image, before and after: ' + diff)
    await page.locator('#scrubber').screenshot({ path: shot('history-rolling-compare') })

    // replayed at 1/4x from before the command: the moment moves a quarter as fast as the clock
    await page.locator('#scrubber .kl-scrub-row select:not([data-scrub])').selectOption('0.25')
    // every moment the replay shows, as the diagram is told it
    await page.evaluate(() => {
      window.klMoments = []
      new MutationObserver(() => window.klMoments.push(Number(document.querySelector('#diagram').dataset.moment)))
        .observe(document.querySelector('#diagram'), { attributes: true, attributeFilter: ['data-moment'] })
    })
    await page.locator('[data-scrub="play"]').click()
    await page.waitForFunction(() => document.querySelector('#diagram')?.dataset.moment, null, { timeout: UI })
    const m0 = Number(await page.evaluate(() => document.querySelector('#diagram').dataset.moment)); const w0 = Date.now()
    await page.waitForTimeout(3000)
    const m1 = Number(await page.evaluate(() => document.querySelector('#diagram').dataset.moment)); const w1 = Date.now()
    const rate = (m1 - m0) / (w1 - w0)
    figure(`replay at 1/4x: the moment moved ${m1 - m0} ms in ${w1 - w0} ms of the clock (${rate.toFixed(2)}x)`)
    assert.ok(rate > 0.15 && rate < 0.3, `replay rate ${rate}`)
    // and each step of the replay is a quarter of its 250 ms tick, however late the timer fires
    const steps = await page.evaluate(() => window.klMoments.slice(1).map((m, i) => m - window.klMoments[i]).filter(d => d > 0))
    assert.ok(steps.length >= 4 && steps.every(d => d >= 62 && d <= 63), `replay steps ${JSON.stringify(steps)}`)
    await page.locator('#scrubber').screenshot({ path: shot('history-replay') })
    await page.locator('[data-scrub="play"]').click() // pause
    await page.locator('#scrubber .kl-scrub-row select:not([data-scrub])').selectOption('1')
    await page.locator('[data-scrub="live"]').click()
    await page.waitForFunction(() => !document.querySelector('#diagram')?.dataset.moment, null, { timeout: UI })
  })

  t('why pending: a pod requesting 64 CPUs is explained as insufficient CPU', async () => {
    const overrides = JSON.stringify({ apiVersion: 'v1', spec: { containers: [{ name: 'too-big', image: 'nginx', resources: { requests: { cpu: '64' } } }] } })
    const r = await runCommand(page, `kubectl run too-big --image=nginx --overrides='${overrides}'`)
    assert.match(r.output, /pod\/too-big created/, r.text)
    await showDiagram(page, 'why-pending')
    await page.waitForFunction(() => {
      const d = document.querySelector('#diagram .kl-why-pending')
      return d && /too-big/.test(d.querySelector('.kl-wp-title')?.textContent || '') && d.querySelector('.kl-reasons li.cat-cpu')
    }, null, { timeout: 60_000 })
    const text = await page.locator('#diagram .kl-why-pending').textContent()
    assert.match(text, /Why pod too-big is Pending/)
    assert.match(text, /requests: cpu 64000m/)
    assert.match(await page.locator('#diagram .kl-reasons li.cat-cpu').textContent(), /CPU/i)
    assert.match(text, /Nodes that can take this pod: 0 of \d+/)
    // every node is greyed out with its reason: not enough free CPU
    const nodes = await page.locator('#diagram .kl-wp-node').count()
    assert.ok(nodes >= 1)
    assert.equal(await page.locator('#diagram .kl-wp-node.is-blocked').count(), nodes)
    await page.waitForTimeout(600)
    await page.locator('#diagram').screenshot({ path: shot('why-pending') })
    // the cluster map shows it waiting in the scheduling queue with the scheduler's reason
    await showDiagram(page, 'cluster-map')
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-cluster-map .kl-reason')].some(e => /Insufficient cpu/i.test(e.textContent)), null, { timeout: UI })
    await page.waitForTimeout(600) // the chips pop in when a diagram is shown
    await page.locator('#diagram').screenshot({ path: shot('cluster-map-queue') })
  })

  t('why here: the scheduler\'s record of a Pending pod, and its suggestion run from the diagram', async () => {
    let r = await runCommand(page, 'kubectl create deployment needy --image=nginx')
    assert.match(r.output, /deployment\.apps\/needy created/, r.text)
    r = await runCommand(page, 'kubectl set resources deployment needy --requests=cpu=64')
    assert.match(r.output, /resource requirements updated/, r.text)
    await showDiagram(page, 'why-here')
    // pick the Deployment's Pending pod
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-why-here .kl-wp-pods button.is-pending')].some(b => b.textContent.startsWith('needy-')), null, { timeout: 60_000 })
    await page.locator('#diagram .kl-why-here .kl-wp-pods button.is-pending', { hasText: 'needy-' }).first().click()
    await page.waitForFunction(() => /Why no node takes pod needy-/.test(document.querySelector('#diagram .kl-wp-title')?.textContent || ''), null, { timeout: UI })
    const text = await page.locator('#diagram .kl-why-here').textContent()
    assert.match(text, /All \d+ nodes were filtered out/)
    const rows = await page.locator('#diagram .kl-wh-row').count()
    assert.ok(rows >= 3, `${rows} node rows`)
    assert.equal(await page.locator('#diagram .kl-wh-why', { hasText: 'NodeResourcesFit: Insufficient cpu' }).count(), rows, 'every node rejected for CPU')
    const run = page.locator('#diagram .kl-wh-sugg button[data-run]').first()
    const cmd = await run.getAttribute('data-run')
    assert.match(cmd, /^kubectl patch deployment needy -n default --type strategic -p '.*"cpu":"\d+m".*'$/)
    await page.waitForTimeout(500)
    await page.locator('#diagram').screenshot({ path: shot('why-here-pending') })
    await run.click()
    await page.waitForFunction(() => /deployment\.apps\/needy patched/.test(document.querySelector('#console .kl-out')?.textContent || ''), null, { timeout: UI })
    // the rollout replaces the Pending pod with one that fits: every needy pod placed and Running
    let out = ''
    for (let i = 0; i < 60; i++) {
      out = (await runCommand(page, 'kubectl get pods -l app=needy')).output
      const lines = out.trim().split('\n').slice(1)
      if (lines.length >= 1 && lines.every(l => /\sRunning\s/.test(l))) break
      await page.waitForTimeout(1000)
    }
    assert.ok(out.trim().split('\n').slice(1).every(l => /\sRunning\s/.test(l)), out)
    // a placed pod: scores per plugin and the winner
    const placed = out.trim().split('\n')[1].split(/\s+/)[0]
    await page.locator('#diagram .kl-why-here .kl-wp-pods button', { hasText: placed }).first().click()
    await page.waitForFunction(p => (document.querySelector('#diagram .kl-wp-title')?.textContent || '').includes(p), placed, { timeout: UI })
    assert.equal(await page.locator('#diagram .kl-wh-row.is-chosen').count(), 1)
    await page.waitForTimeout(500)
    await page.locator('#diagram').screenshot({ path: shot('why-here-placed') })
  })

  t('history: scrub back to before a Deployment existed, then return to live', async () => {
    await showDiagram(page, 'cluster-map')
    const before = Date.now()
    await page.waitForTimeout(1500)
    const r = await runCommand(page, 'kubectl create deployment later --image=nginx')
    assert.match(r.output, /deployment\.apps\/later created/, r.text)
    const laterChips = () => page.evaluate(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave) title')].filter(t => t.textContent.startsWith('default/later-')).length)
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave) title')].some(t => t.textContent.startsWith('default/later-')), null, { timeout: UI })
    await page.locator('[data-scrub="live"]').click() // refresh the range to now
    await page.waitForFunction(() => +document.querySelector('#scrubber input[type="range"]').max > 0, null, { timeout: UI })
    const t0 = Date.now()
    await page.evaluate(at => {
      const input = document.querySelector('#scrubber input[type="range"]')
      input.value = String(at)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    }, before)
    await page.waitForFunction(() => document.querySelector('#diagram')?.dataset.moment, null, { timeout: UI })
    await page.waitForFunction(() => ![...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave) title')].some(t => t.textContent.startsWith('default/later-')), null, { timeout: UI })
    figure(`scrub to a past moment → map redrawn: ${Date.now() - t0} ms`)
    assert.equal(await laterChips(), 0)
    assert.match(await page.locator('#scrubber .kl-scrub-at').textContent(), /The cluster at \d\d:\d\d:\d\d/)
    await page.locator('[data-scrub="compare"]').click()
    await page.waitForFunction(() => /\+ Deployment default\/later/.test(document.querySelector('#scrubber .kl-scrub-diff')?.textContent || ''), null, { timeout: UI })
    await page.waitForTimeout(500)
    await page.locator('#diagram').screenshot({ path: shot('history-past') })
    await page.locator('#scrubber').screenshot({ path: shot('history-compare') })
    await page.locator('[data-scrub="live"]').click()
    await page.waitForFunction(() => !document.querySelector('#diagram')?.dataset.moment, null, { timeout: UI })
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip:not(.kl-leave) title')].some(t => t.textContent.startsWith('default/later-')), null, { timeout: UI })
  })

  t('the other diagrams draw the same cluster without errors', async () => {
    for (const name of ['service-routing', 'timeline', 'architecture']) {
      await showDiagram(page, name)
      await page.waitForTimeout(500)
      const box = await page.locator('#diagram').boundingBox()
      assert.ok(box && box.height > 40, `${name} takes some room`)
      assert.ok(((await page.locator('#diagram .kl-diagram').textContent()) || '').trim().length > 0 ||
        await page.locator('#diagram svg').count() > 0, `${name} draws something`)
      await page.locator('#diagram').screenshot({ path: shot(name) })
    }
    assert.deepEqual(watch.errors, [], 'no uncaught errors in the page')
    assert.deepEqual(context.offsite, [], 'no request left the machine')
  })
})
