// Failure drills on a lab page: the learner fails an availability zone from the box under the
// diagrams (no console), the cluster map shows that zone's nodes NotReady, and the Deployment's
// pods come back Running on the other zone's node; recovering the zone brings the nodes back.
// The sandbox runs with a short node grace period and eviction toleration so this takes seconds.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { launch, newContext, openLab, runCommand, showDiagram, UI } from './browser.mjs'

const shot = name => `/tmp/kubelab-drills-${name}.png`

/** placement returns, per running web pod chip on the map, the zone of the node box holding it. */
const placement = page => page.evaluate(() => {
  const svg = document.querySelector('#diagram .kl-cluster-map svg')
  if (!svg) return []
  const nodes = [...svg.querySelectorAll('g.kl-node')].map(g => {
    const r = g.querySelector('rect')
    return { name: g.querySelector('title')?.textContent || '', down: g.classList.contains('is-down'), x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height') }
  })
  return [...svg.querySelectorAll('g.kl-chip:not(.kl-leave)')]
    .filter(c => c.querySelector('title')?.textContent.startsWith('default/web-') && c.classList.contains('tone-ok'))
    .map(c => {
      const m = (c.getAttribute('style') || '').match(/translate\(([\d.]+)px,\s*([\d.]+)px\)/)
      const x = +m[1]; const y = +m[2]
      const n = nodes.find(n => x >= n.x && x <= n.x + n.w && y >= n.y && y <= n.y + n.h)
      return n ? n.name : '?'
    })
})

describe('failure drills', { timeout: 10 * 60_000 }, () => {
  let server, browser, page
  let failed = false

  before(async () => {
    server = await startServer({ args: ['--sandbox-arg=--node-grace-period=6s', '--sandbox-arg=--eviction-toleration=5s'] })
    browser = await launch()
    const context = await newContext(browser, server)
    ;({ page } = await openLab(context, 'nodes-zones'))
  }, { timeout: 180_000 })

  after(async () => {
    if (page && failed) await page.screenshot({ path: shot('failure'), fullPage: true }).catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop()
    if (failed && server) console.log('--- kubelab log (tail) ---\n' + server.log().slice(-4000))
  }, { timeout: 60_000 })

  test('fail a zone from the drills box: pods move to the other zone; recover it', { timeout: 300_000 }, async () => {
    try {
      await showDiagram(page, 'cluster-map')
      const r = await runCommand(page, 'kubectl create deployment web --image=nginx:1.25.1 --replicas=4')
      assert.match(r.output, /deployment\.apps\/web created/, r.text)
      await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-chip.tone-ok title')]
        .filter(t => t.textContent.startsWith('default/web-')).length === 4, null, { timeout: UI })

      await page.locator('#drills > summary').click()
      const zoneA = page.locator('#drills .drill-zone[data-zone="us-east-1a"]')
      await zoneA.locator('button', { hasText: 'Fail zone' }).click()
      await zoneA.locator('button', { hasText: 'Recover zone' }).waitFor({ timeout: UI })
      const began = Date.now()
      // the map marks us-east-1a's nodes NotReady once the node controller notices
      await page.waitForFunction(() => [...document.querySelectorAll('#diagram .kl-cluster-map g.kl-node.is-down')].length === 2, null, { timeout: 60_000 })
      await page.locator('#drills').screenshot({ path: shot('box') })
      // and all 4 web pods run on the us-east-1b node
      let where = []
      const deadline = Date.now() + 90_000
      while (Date.now() < deadline) {
        where = await placement(page)
        if (where.length === 4 && where.every(n => n.includes('us-east-1b'))) break
        await page.waitForTimeout(500)
      }
      assert.ok(where.length === 4 && where.every(n => n.includes('us-east-1b')), `web pods: ${JSON.stringify(where)}`)
      console.log(`FIGURE drills: zone failed, 4 pods Running in us-east-1b after ${((Date.now() - began) / 1000).toFixed(1)} s (grace 6 s, toleration 5 s)`)
      await page.waitForTimeout(500)
      await page.locator('#diagram').screenshot({ path: shot('zone-down') })

      await zoneA.locator('button', { hasText: 'Recover zone' }).click()
      await page.waitForFunction(() => document.querySelectorAll('#diagram .kl-cluster-map g.kl-node').length === 3 &&
        document.querySelectorAll('#diagram .kl-cluster-map g.kl-node.is-down').length === 0, null, { timeout: 60_000 })
      await zoneA.locator('button', { hasText: 'Fail zone' }).waitFor({ timeout: UI })
    } catch (e) { failed = true; throw e }
  })
})
