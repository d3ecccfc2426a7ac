// kubectl console: an input line with history (up/down), a monospace output area, commands
// POSTed as {"command": "..."} to /api/console (X-CSRF-Token from <meta name="csrf-token">).
// [data-run="kubectl ..."] buttons run their command here; bindCopy makes [data-copy] buttons copy.

import { t } from './i18n.js'

/** csrfToken returns the page's CSRF token ('' if none). */
export const csrfToken = (doc = globalThis.document) => doc?.querySelector('meta[name="csrf-token"]')?.content || ''

/** postJSON POSTs body as JSON with the CSRF header and returns the parsed JSON answer. */
export async function postJSON (url, body, { fetchImpl = globalThis.fetch, doc = globalThis.document } = {}) {
  const res = await fetchImpl(url, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken(doc) },
    body: JSON.stringify(body)
  })
  let data = null
  try { data = await res.json() } catch {}
  if (!data) throw new Error(`HTTP ${res.status}`)
  if (!res.ok && !data.error && data.output == null && !data.errors) data.error = `HTTP ${res.status}`
  return data
}

/** codeText returns the text of the code block that belongs to a button (for empty data-copy / data-edit). */
export function codeText (btn) {
  const box = btn.closest('figure, .code-block, [data-code]') || btn.parentElement
  const code = box?.querySelector('pre code, pre, code')
  return (code?.textContent || '').replace(/\n$/, '')
}

/** copyText puts text on the clipboard. */
export async function copyText (text, doc = globalThis.document) {
  try { await navigator.clipboard.writeText(text); return true } catch {}
  const ta = doc.createElement('textarea')
  ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0'
  doc.body.append(ta); ta.select()
  let ok = false
  try { ok = doc.execCommand('copy') } catch {}
  ta.remove()
  return ok
}

/** bindCopy makes [data-copy] buttons copy their value (or their code block) and returns an unbind function. */
export function bindCopy (doc = globalThis.document) {
  const on = e => {
    const b = e.target.closest?.('[data-copy]')
    if (!b) return
    e.preventDefault()
    copyText(b.dataset.copy || codeText(b), doc).then(ok => {
      if (ok) { b.dataset.copied = t('co.copied'); setTimeout(() => delete b.dataset.copied, 1500) }
    })
  }
  doc.addEventListener('click', on)
  return () => doc.removeEventListener('click', on)
}

/**
 * mountConsole builds the console inside el and returns {run(command), clear(), destroy(), history}.
 * options: url ('/api/console'), fetchImpl, storageKey (history in sessionStorage).
 */
export function mountConsole (el, { url = '/api/console', fetchImpl, storageKey = 'kubelab.console.history' } = {}) {
  const doc = el.ownerDocument
  const store = globalThis.sessionStorage
  let history = []
  try { history = JSON.parse(store?.getItem(storageKey) || '[]') } catch {}
  let pos = history.length
  el.classList.add('kl-console')
  el.innerHTML = `<pre class="kl-out" role="log" aria-live="polite" tabindex="0"></pre>
<form class="kl-line"><label><span class="kl-prompt" aria-hidden="true">$</span><span class="kl-sr"></span>
<input name="cmd" autocomplete="off" autocapitalize="off" spellcheck="false"></label>
<button type="submit" class="kl-btn kl-primary"></button><button type="button" class="kl-btn" data-clear></button></form>`
  const out = el.querySelector('.kl-out'); const form = el.querySelector('form'); const input = form.querySelector('input')
  const btnRun = form.querySelector('[type=submit]'); const btnClear = form.querySelector('[data-clear]')
  const label = () => {
    el.querySelector('.kl-sr').textContent = t('co.label'); input.placeholder = 'kubectl get pods'
    btnRun.textContent = t('btn.run'); btnClear.textContent = t('co.clear')
  }
  label()

  const line = (text, cls) => {
    const s = doc.createElement('span')
    s.className = cls; s.textContent = text.replace(/\n$/, '')
    out.append(s); out.scrollTop = out.scrollHeight
  }
  let busy = Promise.resolve()
  function run (command) {
    command = String(command || '').trim()
    if (!command) return busy
    if (history.at(-1) !== command) history.push(command)
    history = history.slice(-100); pos = history.length
    try { store?.setItem(storageKey, JSON.stringify(history)) } catch {}
    if (command === 'clear') { clear(); return busy }
    busy = busy.then(async () => {
      line('$ ' + command, 'kl-cmd')
      el.setAttribute('aria-busy', 'true')
      try {
        const r = await postJSON(url, { command }, { fetchImpl, doc })
        if (r.output) line(r.output, 'kl-res')
        if (r.error) line(r.error, 'kl-err')
        if (r.exitCode) line(t('co.exit', { n: r.exitCode }), 'kl-exit')
      } catch (e) {
        line(t('co.fail', { msg: e.message }), 'kl-err')
      } finally { el.removeAttribute('aria-busy') }
    })
    return busy
  }
  function clear () { out.replaceChildren() }

  form.onsubmit = e => { e.preventDefault(); const c = input.value; input.value = ''; run(c) }
  btnClear.onclick = clear
  input.onkeydown = e => {
    if (e.key === 'ArrowUp' && pos > 0) { input.value = history[--pos]; e.preventDefault() } else if (e.key === 'ArrowDown') {
      pos = Math.min(history.length, pos + 1); input.value = history[pos] || ''; e.preventDefault()
    }
  }
  const onClick = e => {
    const b = e.target.closest?.('[data-run]')
    if (!b) return
    e.preventDefault()
    const cmds = (b.dataset.run || codeText(b)).split('\n').map(s => s.trim()).filter(Boolean)
    el.scrollIntoView?.({ block: 'nearest' })
    for (const c of cmds) run(c)
    input.focus({ preventScroll: true })
  }
  doc.addEventListener('click', onClick)
  return {
    run, clear, relabel: label,
    get history () { return history.slice() },
    destroy () { doc.removeEventListener('click', onClick); el.replaceChildren() }
  }
}
