// Class mode end to end: an instructor signs in and opens a class; two students join it in
// browsers of their own and work the kubectl-activity lab; the instructor's heat map turns green
// as they pass steps, without a reload. Also: the read-only cluster map of one student, a hint
// reaching that student's page, a resume link working in a fresh browser, and a student's
// browser reaching no class route. Figures: the dashboard's update latency.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm, writeFile, access } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BINARY, freePort } from './server.mjs'
import { launch, newContext, openLab, runCommand, waitPassed, figure, sleep, UI } from './browser.mjs'

const LAB = 'kubectl-activity'
const EMAIL = 'teacher@school.example'
const PASSWORD = 'e2e-instructor-password'
const shot = name => `/tmp/kubelab-e2e-class-${name}.png`

/** startClassServer creates an instructor, then serves class mode on a free port until /healthz answers. */
async function startClassServer ({ args = [] } = {}) {
  await access(BINARY).catch(() => { throw new Error(`${BINARY} is missing: run \`make build\` first`) })
  const dataDir = await mkdtemp(join(tmpdir(), 'kubelab-e2e-class-'))
  const pwFile = join(dataDir, 'password')
  await writeFile(pwFile, PASSWORD + '\n', { mode: 0o600 })
  await promisify(execFile)(BINARY, ['admin', 'create-instructor', '--data', dataDir, '--email', EMAIL, '--name', 'Teacher Kim', '--password-file', pwFile])
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const addr = `127.0.0.1:${port}`
    const child = spawn(BINARY, ['serve', '--mode', 'class', '--data', dataDir, '--addr', addr, '--pool', '1', '--class-seats', '3', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } })
    let out = ''
    const keep = d => { out += d; if (out.length > 200_000) out = out.slice(-100_000) }
    child.stdout.on('data', keep); child.stderr.on('data', keep)
    let exited = null
    const done = new Promise(resolve => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited) }))
    const url = `http://${addr}`
    const server = {
      url, port, dataDir, log: () => out,
      async stop () {
        if (!exited) {
          child.kill('SIGTERM')
          const t = setTimeout(() => { if (!exited) child.kill('SIGKILL') }, 30_000)
          await done
          clearTimeout(t)
        }
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {})
        return exited
      }
    }
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && !exited) {
      try { if ((await fetch(`${url}/healthz`)).ok) return server } catch {}
      await sleep(100)
    }
    if (exited && /address already in use/i.test(out)) continue
    await server.stop()
    throw new Error(`kubelab class mode did not start\n${out.slice(-4000)}`)
  }
  throw new Error('no free port')
}

/** watchCell records in the page when the heat map cell turns passed (performance.now() and Date.now()). */
const watchCell = (page, key) => page.evaluate(k => {
  window.__cells = window.__cells || {}
  const rec = window.__cells[k] = { passedAt: null, wall: null }
  const check = () => {
    const el = document.querySelector(`[data-cell="${k}"]`)
    if (el && el.dataset.state === 'passed' && rec.passedAt == null) { rec.passedAt = performance.now(); rec.wall = Date.now() }
  }
  // the rows may be replaced (a roster change), so observe the whole table
  new MutationObserver(check).observe(document.getElementById('heatmap'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] })
  check()
}, key)

/** watchBadge records in the student's page when every badge of step turns passed, and when Run is clicked. */
const watchBadge = (page, step) => page.evaluate(s => {
  window.__badge = { passedAt: null, wall: null, clickWall: null }
  document.querySelector('#console button[type="submit"]').addEventListener('click', () => { window.__badge.clickWall = Date.now() }, { capture: true, once: true })
  const mo = new MutationObserver(() => {
    const els = [...document.querySelectorAll(`[data-step-status="${s}"]`)]
    if (window.__badge.passedAt == null && els.length && els.every(e => e.dataset.state === 'passed')) {
      window.__badge.passedAt = performance.now(); window.__badge.wall = Date.now(); mo.disconnect()
    }
  })
  mo.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] })
}, step)

describe('class mode: two students and their instructor', { timeout: 20 * 60_000 }, () => {
  let server, browser, teacher, dash, students
  let classId, code
  let failed = false
  const latencies = []

  before(async () => {
    server = await startClassServer()
    browser = await launch()
    teacher = await newContext(browser, server)
  }, { timeout: 180_000 })

  after(async () => {
    if (failed && dash) await dash.screenshot({ path: shot('failure-dashboard'), fullPage: true }).catch(() => {})
    await browser?.close().catch(() => {})
    const exit = await server?.stop()
    if (failed && server) console.log('--- kubelab log (tail) ---\n' + server.log().slice(-4000))
    if (exit && exit.code !== 0 && exit.signal == null) console.log(`kubelab exited with ${JSON.stringify(exit)}`)
  }, { timeout: 60_000 })

  const t = (name, fn) => test(name, { timeout: 300_000 }, async () => {
    try { await fn() } catch (e) { failed = true; throw e }
  })

  t('nobody signed in reaches only sign-in and join', async () => {
    const anon = await newContext(browser, server)
    const page = await anon.newPage()
    await page.goto('/labs/kubectl-activity')
    assert.match(new URL(page.url()).pathname, /^\/login$/)
    const api = await anon.request.get('/api/sandbox', { headers: { Accept: 'application/json' } })
    assert.equal(api.status(), 401)
    await page.goto('/join')
    await page.locator('#join-form').waitFor()
    await anon.close()
  })

  t('the instructor signs in, creates a class and opens its dashboard', async () => {
    const page = await teacher.newPage()
    await page.goto('/login')
    await page.locator('#login-email').fill(EMAIL)
    await page.locator('#login-password').fill('a wrong password')
    await page.locator('#login-form button[type="submit"]').click()
    await page.locator('#login-error').waitFor()
    await page.locator('#login-email').fill(EMAIL)
    await page.locator('#login-password').fill(PASSWORD)
    await Promise.all([page.waitForURL('**/class'), page.locator('#login-form button[type="submit"]').click()])
    const cookies = await teacher.cookies()
    const session = cookies.find(c => c.name === 'kubelab_session')
    assert.ok(session, 'a session cookie')
    assert.equal(session.httpOnly, true)
    assert.equal(session.sameSite, 'Lax')
    assert.equal(session.secure, true, 'the session cookie is Secure')
    await page.locator('#class-name').fill('EKS 기초 1반')
    await Promise.all([page.waitForURL(/\/class\/\d+$/), page.locator('#new-class button[type="submit"]').click()])
    classId = new URL(page.url()).pathname.split('/').pop()
    code = (await page.locator('#join-code').textContent()).trim()
    assert.match(code, /^[A-Z2-9]{8}$/)
    assert.match(await page.locator('#join-link').inputValue(), new RegExp(`/join/${code}$`))
    await page.locator('#dash-conn[data-state="open"]').waitFor()
    await page.evaluate(() => { window.__noReload = 'still here' })
    dash = page
  })

  t('two students join with the code and open the lab', async () => {
    students = []
    for (const name of ['Minji', 'Seojun']) {
      const context = await newContext(browser, server)
      const page = await context.newPage()
      await page.goto(`/join/${code}`)
      await page.locator('#join-name').fill(name)
      await Promise.all([page.waitForURL('**/welcome'), page.locator('#join-form button[type="submit"]').click()])
      const resume = await page.locator('#resume-link').inputValue()
      assert.match(resume, /\/resume\/[A-Za-z0-9_-]{43}$/)
      await page.close()
      const { page: lab } = await openLab(context, LAB)
      students.push({ name, context, page: lab, resume })
    }
    // the dashboard gets both rows without a reload
    await dash.waitForFunction(() => document.querySelectorAll('#heat-rows tr[data-user]').length === 2, null, { timeout: UI })
    for (const s of students) {
      s.id = await dash.locator('#heat-rows tr[data-user]', { hasText: s.name }).getAttribute('data-user')
      // their sandboxes show as ready
      await dash.locator(`[data-sandbox-of="${s.id}"][data-state="ready"]`).waitFor({ timeout: 120_000 })
    }
    assert.equal(await dash.evaluate(() => window.__noReload), 'still here')
  })

  t('a student\'s browser reaches no class route', async () => {
    const req = students[0].context.request
    for (const path of [`/class/${classId}`, `/class/${classId}/results.csv`, `/class/${classId}/students/${students[1].id}`, '/class']) {
      assert.equal((await req.get(path)).status(), 404, path)
    }
    const r = await req.post(`/class/${classId}/students/${students[1].id}/remove`)
    assert.equal(r.status(), 404)
  })

  t('the students pass steps and the heat map turns green live', async () => {
    const steps = [['create-namespace', 'kubectl create namespace my-ns'], ['list-namespaces', 'kubectl get namespaces']]
    for (const [step, command] of steps) {
      for (const s of students) {
        const key = `${s.id}|${LAB}|${step}`
        assert.equal(await dash.locator(`[data-cell="${key}"]`).getAttribute('data-state') === 'passed', false, `${key} starts not passed`)
        await watchCell(dash, key)
        await watchBadge(s.page, step)
        const r = await runCommand(s.page, command)
        assert.equal(r.error, '', r.text)
        await waitPassed(s.page, step)
        await dash.locator(`[data-cell="${key}"][data-state="passed"]`).waitFor({ timeout: UI })
        const cell = await dash.evaluate(k => window.__cells[k], key)
        const badge = await s.page.evaluate(() => window.__badge)
        latencies.push({ who: s.name, step, badgeToCell: cell.wall - badge.wall, clickToCell: cell.wall - badge.clickWall, clickToBadge: badge.wall - badge.clickWall })
      }
    }
    assert.equal(await dash.evaluate(() => window.__noReload), 'still here', 'the dashboard was not reloaded')
    for (const s of students) {
      assert.equal(await dash.locator(`[data-passed-of="${s.id}"]`).textContent().then(x => x.split('/')[0]), '2')
    }
    const title = await dash.locator(`[data-cell="${students[0].id}|${LAB}|create-namespace"]`).getAttribute('title')
    assert.match(title, /Passed/)
    await dash.screenshot({ path: shot('dashboard-green'), fullPage: true })
    // the heat map scrolls inside its box: the page itself does not grow sideways
    const wide = await dash.evaluate(() => {
      const vw = document.documentElement.clientWidth
      const over = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > vw + 1 && !e.closest('.heat-wrap'))
      return { scroll: document.documentElement.scrollWidth, vw, over: over.slice(0, 5).map(e => `${e.tagName}#${e.id}.${e.className}`) }
    })
    assert.ok(wide.scroll <= wide.vw + 1, `the page is ${wide.scroll} px wide in a ${wide.vw} px window: ${wide.over.join(', ')}`)
    // the labs in use (only kubectl-activity here) are the columns
    assert.deepEqual(await dash.locator('[data-lab-col]').evaluateAll(els => els.map(e => e.dataset.labCol)), [LAB])
    // the completion plot follows (refetched a moment after the passes)
    await dash.locator('#completion svg[data-passed="4"][data-total="10"]').waitFor({ timeout: UI })
    assert.match(await dash.locator('#completion svg > title').textContent(), /4 of 10 steps \(40%\)/)
    // every lab: 82 columns, still scrolling inside the box
    const all = await teacher.newPage()
    await all.goto(`/class/${classId}?lab=all`)
    assert.ok(await all.locator('[data-col]').count() > 50)
    const allWide = await all.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth])
    assert.ok(allWide[0] <= allWide[1] + 1, `all labs: the page is ${allWide[0]} px wide in ${allWide[1]} px`)
    await all.close()
    for (const l of latencies) {
      figure(`dashboard latency (${l.who}, ${l.step}): ${l.badgeToCell} ms from the student's badge turning passed to the instructor's cell turning passed; ` +
        `${l.clickToCell} ms from clicking Run (${l.clickToBadge} ms to the student's own badge)`)
    }
    const b2c = latencies.map(l => l.badgeToCell).sort((a, b) => a - b)
    const c2c = latencies.map(l => l.clickToCell).sort((a, b) => a - b)
    figure(`dashboard latency over ${b2c.length} step passes: badge -> instructor cell median ${b2c[Math.floor(b2c.length / 2)]} ms, max ${b2c.at(-1)} ms; ` +
      `Run click -> instructor cell median ${c2c[Math.floor(c2c.length / 2)]} ms, max ${c2c.at(-1)} ms`)
  })

  t('a failing step shows the check\'s message on hover', async () => {
    const s = students[0]
    const key = `${s.id}|${LAB}|apply-deployment`
    await dash.locator(`[data-cell="${key}"][data-state="failed"]`).waitFor({ timeout: UI })
    const title = await dash.locator(`[data-cell="${key}"]`).getAttribute('title')
    assert.match(title, /Failing — .+/, title)
  })

  t('the instructor follows one student: live cluster map, console history, a hint', async () => {
    const s = students[0]
    const page = await teacher.newPage()
    await page.goto(`/class/${classId}/students/${s.id}`)
    await page.locator('#dash-conn[data-state="open"]').waitFor()
    await page.locator('#diagram .kl-diagram.kl-cluster-map').waitFor()
    await page.waitForFunction(() => /3 nodes/.test(document.querySelector('#diagram svg > title')?.textContent || ''), null, { timeout: UI })
    assert.match(await page.locator('#console-log').textContent(), /kubectl create namespace my-ns/)
    // a pod the student creates appears on the instructor's map
    const beforeRun = Date.now()
    await runCommand(s.page, 'kubectl run web --image=nginx:1.25.1')
    const webChip = () => [...document.querySelectorAll('#diagram g.kl-chip:not(.kl-leave) title')].some(t => t.textContent.startsWith('default/web'))
    await page.waitForFunction(webChip, null, { timeout: 60_000 })
    await page.screenshot({ path: shot('student-map'), fullPage: true })
    // the student's history, scrubbed back to before the pod (read-only: no rewind there), then live
    await page.locator('[data-scrub="live"]').click()
    await page.waitForFunction(at => +document.querySelector('#scrubber input[type="range"]')?.max > at, beforeRun, { timeout: UI })
    const past = await page.evaluate(at => {
      const input = document.querySelector('#scrubber input[type="range"]')
      const v = +input.min + Math.floor((at - +input.min) / 100) * 100
      input.value = String(v)
      input.dispatchEvent(new Event('input', { bubbles: true }))
      return v
    }, beforeRun)
    await page.waitForFunction(at => document.querySelector('#diagram')?.dataset.moment === String(at), past, { timeout: UI })
    await page.waitForFunction(() => document.querySelectorAll('#diagram g.kl-node').length >= 1 &&
      ![...document.querySelectorAll('#diagram g.kl-chip:not(.kl-leave) title')].some(t => t.textContent.startsWith('default/web')), null, { timeout: UI })
    assert.equal(await page.locator('.kl-rewind, [data-rewind-ask]').count(), 0, 'an instructor cannot rewind a student')
    assert.equal(await page.locator('#dash-conn').isVisible(), false, 'no "Live" badge beside a recorded moment')
    await page.screenshot({ path: shot('student-history'), fullPage: true })
    await page.locator('[data-scrub="live"]').click()
    await page.waitForFunction(webChip, null, { timeout: UI })
    await page.locator('#dash-conn[data-state="open"]').waitFor()
    // the hint reaches the student's page at once
    await page.locator('#hint-text').fill('Use -n my-ns to look inside the namespace.')
    await Promise.all([page.waitForURL(/done=hint/), page.locator('#hint-form button[type="submit"]').click()])
    await s.page.locator('#hint[data-source="instructor"]').waitFor({ timeout: UI })
    assert.match(await s.page.locator('#hint').textContent(), /Use -n my-ns/)
    await page.close()
  })

  t('the resume link brings a student back in a fresh browser', async () => {
    const s = students[1]
    const fresh = await newContext(browser, server)
    const page = await fresh.newPage()
    await page.goto(s.resume)
    // opening the link only asks; the button signs in
    assert.equal((await fresh.cookies()).filter(c => c.name === 'kubelab_session').length, 0)
    await Promise.all([page.waitForURL(u => new URL(u).pathname === '/'), page.locator('#resume-form button[type="submit"]').click()])
    const { page: lab } = await openLab(fresh, LAB)
    assert.deepEqual([...new Set(await lab.locator('[data-step-status="create-namespace"]').evaluateAll(els => els.map(e => e.dataset.state)))], ['passed'])
    await fresh.close()
  })

  t('CSV export and quiz results', async () => {
    const csv = await teacher.request.get(`/class/${classId}/results.csv`)
    assert.equal(csv.status(), 200)
    const text = await csv.text()
    assert.match(text, /Minji/)
    assert.match(text, /Seojun/)
  })
})
