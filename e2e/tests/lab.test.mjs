// The lab page end to end, as a learner works the "kubectl-activity" lab: the console runs
// kubectl against the learner's real sandbox, the grader's verdicts arrive over the websocket
// and flip the step badges without a reload, refused commands run nothing, and the YAML editor
// shows the API server's own validation errors.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import {
  launch, newContext, openLab, runCommand, stepStates, waitPassed, pasteYaml, applyEditor,
  figure, sleep, UI
} from './browser.mjs'

const LAB = 'kubectl-activity'
const shot = name => `/tmp/kubelab-e2e-${name}.png`

const INVALID_SECRET = `apiVersion: v1
kind: Secret
metadata: {name: accountLogin}
stringData:
  user: admin
`

const NGINX_DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deploy
  namespace: my-ns
spec:
  selector:
    matchLabels:
      app: nginx
  replicas: 2
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: nginx:1.25.1
          ports:
            - containerPort: 80
`

describe('lab page: kubectl-activity', { timeout: 15 * 60_000 }, () => {
  let server, browser, context, page, watch
  let failed = false

  before(async () => {
    server = await startServer()
    browser = await launch()
    context = await newContext(browser, server)
    ;({ page, watch } = await openLab(context, LAB))
    const a = watch.firstLoad
    figure(`first load of /labs/${LAB}: ${a.transferred} bytes of JS+CSS transferred ` +
      `(${a.jsFiles} JS files ${a.js} B, ${a.cssFiles} CSS files ${a.css} B; ${a.body} B of bodies)`)
  }, { timeout: 180_000 })

  after(async () => {
    if (page && failed) await page.screenshot({ path: shot('failure'), fullPage: true }).catch(() => {})
    await browser?.close().catch(() => {})
    const exit = await server?.stop()
    if (failed && server) console.log('--- kubelab log (tail) ---\n' + server.log().slice(-4000))
    if (exit && exit.code !== 0 && exit.signal == null) console.log(`kubelab exited with ${JSON.stringify(exit)}`)
  }, { timeout: 60_000 })

  const t = (name, fn) => test(name, { timeout: 180_000 }, async () => {
    try { await fn() } catch (e) { failed = true; throw e }
  })

  t('the page starts clean: sandbox ready, stream open, no step passed', async () => {
    await page.locator('#sandbox-state').waitFor({ state: 'attached' })
    await page.waitForFunction(() => document.getElementById('sandbox-state')?.dataset.state === 'ready', null, { timeout: UI })
    for (const step of ['create-namespace', 'list-namespaces', 'apply-deployment', 'get-pods-default', 'get-pods-my-ns']) {
      const states = await stepStates(page, step)
      assert.ok(states.length >= 1, `a badge for ${step}`)
      assert.ok(!states.includes('passed'), `${step} is not passed on a fresh sandbox (${states})`)
    }
    assert.equal(await page.locator('[data-diagram-tab]').count(), 8)
    assert.equal(await page.locator('[data-diagram-tab="cluster-map"]').getAttribute('aria-selected'), 'true')
    await page.screenshot({ path: shot('lab-start'), fullPage: true })
  })

  t('kubectl create namespace my-ns in the console passes create-namespace live', async () => {
    // a marker that a reload would wipe out
    await page.evaluate(() => { window.__noReload = 'still here' })
    // the time from the click on Run to the badge turning passed, measured in the page
    await page.evaluate(() => {
      window.__clickAt = null; window.__passedAt = null
      document.querySelector('#console button[type="submit"]').addEventListener('click', () => { window.__clickAt = performance.now() }, { capture: true, once: true })
      const badges = [...document.querySelectorAll('[data-step-status="create-namespace"]')]
      const mo = new MutationObserver(() => {
        if (window.__passedAt == null && badges.every(b => b.dataset.state === 'passed')) { window.__passedAt = performance.now(); mo.disconnect() }
      })
      for (const b of badges) mo.observe(b, { attributes: true, attributeFilter: ['data-state'] })
    })
    const r = await runCommand(page, 'kubectl create namespace my-ns')
    assert.match(r.output, /namespace\/my-ns created/, `console output: ${r.text}`)
    assert.equal(r.error, '')
    await waitPassed(page, 'create-namespace')
    const ms = await page.evaluate(() => window.__passedAt - window.__clickAt)
    figure(`create-namespace: ${Math.round(ms)} ms from clicking Run on "kubectl create namespace my-ns" to the badge turning passed`)
    assert.equal(await page.evaluate(() => window.__noReload), 'still here', 'the page was not reloaded')
    // the check list of the step shown says passed too
    await page.locator('[data-check="ns-active"][data-state="passed"]').waitFor()
    await page.screenshot({ path: shot('namespace-created'), fullPage: true })
  })

  t('kubectl get namespaces lists my-ns and passes list-namespaces', async () => {
    const r = await runCommand(page, 'kubectl get namespaces')
    assert.match(r.output, /^NAME\s+STATUS\s+AGE/m)
    assert.match(r.output, /^my-ns\s+Active\s/m, `console output: ${r.text}`)
    assert.match(r.output, /^default\s+Active\s/m)
    await waitPassed(page, 'list-namespaces')
  })

  t('a refused console command shows an error and runs nothing', async () => {
    const r = await runCommand(page, 'kubectl get pods; rm -rf /')
    assert.notEqual(r.error, '', `an error is shown: ${r.text}`)
    assert.match(r.error, /;/, 'the error names the refused operator')
    assert.equal(r.output, '', 'no output: nothing ran')
    assert.match(r.exit, /exit code/)
    // the error is visibly styled as one
    const color = await page.locator('#console .kl-out .kl-err').last().evaluate(e => getComputedStyle(e).color)
    assert.notEqual(color, await page.locator('#console .kl-out .kl-cmd').last().evaluate(e => getComputedStyle(e).color))
    // nothing was recorded as run: the history has no such command, and "kubectl get pods" did not count for the grader
    const hist = await (await page.request.get('/api/console/history')).json()
    assert.ok(Array.isArray(hist))
    assert.ok(hist.some(h => h.command === 'kubectl create namespace my-ns'), 'the history holds the commands that ran')
    assert.ok(!hist.some(h => /rm -rf/.test(h.command)), `refused command not in the history: ${JSON.stringify(hist)}`)
    await sleep(2000) // give a wrong verdict time to arrive
    assert.ok(!(await stepStates(page, 'get-pods-default')).includes('passed'), 'get-pods-default is not passed by a refused command')
    // the console still works after it
    const ok = await runCommand(page, 'kubectl get ns my-ns')
    assert.match(ok.output, /my-ns\s+Active/)
    await page.locator('#console').screenshot({ path: shot('console-refused') })
  })

  t('the editor shows the API server\'s error for an invalid name', async () => {
    await page.locator('#editor').scrollIntoViewIfNeeded()
    await pasteYaml(page, INVALID_SECRET)
    const r = await applyEditor(page)
    assert.ok(r.errors.length > 0, `an error is shown: ${r.text}`)
    assert.match(r.text, /accountLogin/)
    assert.match(r.text, /lowercase RFC 1123/, `the API server's message: ${r.text}`)
    assert.equal(r.ok.length, 0, 'no success line')
    // the secret was not created
    const get = await runCommand(page, 'kubectl get secrets')
    assert.doesNotMatch(get.output + get.error, /accountLogin/)
    await page.screenshot({ path: shot('editor-invalid'), fullPage: true })
    await page.locator('#editor').screenshot({ path: shot('editor-invalid-detail') })
  })

  t('nginx-deploy with 2 replicas in my-ns from the editor passes apply-deployment', async () => {
    await pasteYaml(page, NGINX_DEPLOY)
    const dry = await applyEditor(page, { dryRun: true })
    assert.deepEqual(dry.errors, [], `dry run: ${dry.text}`)
    const r = await applyEditor(page)
    assert.deepEqual(r.errors, [], `apply: ${r.text}`)
    assert.match(r.text, /deployment\/nginx-deploy( \(my-ns\))? created/i)
    await waitPassed(page, 'apply-deployment', 60_000)
    // the two pods show on the cluster map
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram g.kl-chip:not(.kl-leave) title')]
      .filter(t => t.textContent.startsWith('my-ns/nginx-deploy-') && /\nRunning/.test(t.textContent)).length === 2, null, { timeout: 60_000 })
    await page.screenshot({ path: shot('deployment-applied'), fullPage: true })
  })

  t('the last two commands finish the lab', async () => {
    // the Deployment's pods run (shown on the map) before they are listed
    await page.waitForFunction(() => [...document.querySelectorAll('#diagram g.kl-chip:not(.kl-leave) title')]
      .filter(t => t.textContent.startsWith('my-ns/nginx-deploy-') && /\nRunning/.test(t.textContent)).length === 2, null, { timeout: 60_000 })
    const def = await runCommand(page, 'kubectl get pods')
    assert.doesNotMatch(def.output, /nginx-deploy-/, 'the Pods are not in default')
    await waitPassed(page, 'get-pods-default')
    const mine = await runCommand(page, 'kubectl get pods -n my-ns')
    assert.equal((mine.output.match(/^nginx-deploy-\S+\s+1\/1\s+Running/mg) || []).length, 2, mine.output)
    await waitPassed(page, 'get-pods-my-ns', 60_000)
    for (const step of ['create-namespace', 'list-namespaces', 'apply-deployment', 'get-pods-default', 'get-pods-my-ns']) {
      assert.deepEqual([...new Set(await stepStates(page, step))], ['passed'], step)
    }
    await page.screenshot({ path: shot('lab-done'), fullPage: true })
  })

  t('nothing went wrong in the page', async () => {
    assert.deepEqual(watch.errors, [], 'no uncaught errors')
    assert.deepEqual(context.offsite, [], 'no request left the machine')
    const bad = watch.failed.filter(f => !/\/ws\b/.test(f))
    assert.deepEqual(bad, [], 'no failed requests')
    // the refused command (400) and the invalid manifest (422) are answered with error statuses;
    // anything else in the browser console is a problem (a CSP violation, a failed import…)
    const unexpected = watch.consoleErrors.filter(m => !/^Failed to load resource: the server responded with a status of (400|422)\b/.test(m))
    assert.deepEqual(unexpected, [], 'no unexpected errors in the browser console')
  })
})
