// YAML editor: a textarea with line numbers; "dry run" and "apply" POST {"yaml", "dryRun"} to
// /api/apply and show {results: [{object, action, error}], errors: [{line, message}]}, marking
// the lines with errors. [data-edit] buttons load their manifest into the editor.

import { t } from './i18n.js'
import { postJSON, codeText } from './console.js'

const objName = o => typeof o === 'string' ? o : o ? [o.kind && o.kind.toLowerCase(), o.name].filter(Boolean).join('/') + (o.namespace ? ` (${o.namespace})` : '') : ''

/**
 * mountEditor builds the editor inside el and returns {get(), set(yaml), submit(dryRun), destroy()}.
 * options: url ('/api/apply'), fetchImpl, storageKey (draft kept in sessionStorage), value.
 */
export function mountEditor (el, { url = '/api/apply', fetchImpl, storageKey = 'kubelab.editor', value = '' } = {}) {
  const doc = el.ownerDocument; const ss = globalThis.sessionStorage
  el.classList.add('kl-editor')
  el.innerHTML = `<div class="kl-ed-box"><pre class="kl-gutter" aria-hidden="true"></pre>
<textarea spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off"></textarea></div>
<div class="kl-ed-bar"><button type="button" class="kl-btn" data-dry></button><button type="button" class="kl-btn kl-primary" data-apply></button></div>
<div class="kl-ed-msg" role="status" aria-live="polite"></div>`
  const ta = el.querySelector('textarea'); const gut = el.querySelector('.kl-gutter'); const msg = el.querySelector('.kl-ed-msg')
  const bDry = el.querySelector('[data-dry]'); const bApply = el.querySelector('[data-apply]')
  let bad = new Map() // line -> message
  const label = () => { ta.setAttribute('aria-label', t('ed.label')); bDry.textContent = t('ed.dry'); bApply.textContent = t('ed.apply') }
  label()

  function lines () {
    const n = ta.value.split('\n').length
    gut.replaceChildren(...Array.from({ length: n }, (_, i) => {
      const s = doc.createElement('span')
      s.textContent = i + 1
      if (bad.has(i + 1)) { s.className = 'is-bad'; s.title = bad.get(i + 1) }
      return s
    }))
    gut.scrollTop = ta.scrollTop
    // a red band behind each bad line (the background scrolls with the text)
    const cs = globalThis.getComputedStyle?.(ta); const lh = parseFloat(cs?.lineHeight) || 20; const top = parseFloat(cs?.paddingTop) || 8
    const ls = [...bad.keys()]
    Object.assign(ta.style, {
      backgroundImage: ls.map(() => 'linear-gradient(#fde3e3,#fde3e3)').join(','),
      backgroundPosition: ls.map(l => `0 ${top + (l - 1) * lh}px`).join(','),
      backgroundSize: `100% ${lh}px`
    })
  }
  function set (yaml) { ta.value = yaml || ''; bad = new Map(); msg.replaceChildren(); lines(); save() }
  const save = () => { try { ss?.setItem(storageKey, ta.value) } catch {} }
  function goto (line) {
    const at = ta.value.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0)
    ta.focus(); ta.setSelectionRange(at, at)
    ta.scrollTop = Math.max(0, (line - 3) * (parseFloat(globalThis.getComputedStyle?.(ta).lineHeight) || 20))
  }
  function show (r, dryRun) {
    bad = new Map()
    const ul = doc.createElement('ul')
    let failed = false
    const li = (text, err, line) => {
      const e = doc.createElement('li')
      failed ||= err
      e.className = err ? 'kl-err' : 'kl-ok'
      if (line) {
        const b = doc.createElement('button')
        b.type = 'button'; b.className = 'kl-link-btn'; b.textContent = t('ed.line', { line })
        b.onclick = () => goto(line)
        e.append(b, ': ')
      }
      e.append(text)
      ul.append(e)
    }
    for (const e of r.errors || []) {
      if (e.line) bad.set(e.line, (bad.has(e.line) ? bad.get(e.line) + '; ' : '') + e.message)
      li(e.message, true, e.line)
    }
    for (const x of r.results || []) {
      if (x.error && x.line) bad.set(x.line, (bad.has(x.line) ? bad.get(x.line) + '; ' : '') + x.error)
      li(`${objName(x.object)} ${x.error ? '— ' + x.error : x.action || ''}`.trim(), !!x.error, x.error ? x.line : 0)
    }
    if (r.error) li(r.error, true)
    if (!failed) li(t(dryRun ? 'ed.dryOk' : 'ed.ok'), false)
    msg.replaceChildren(ul)
    lines()
    return !failed
  }
  async function submit (dryRun) {
    if (!ta.value.trim()) { msg.textContent = t('ed.empty'); return false }
    el.setAttribute('aria-busy', 'true'); bDry.disabled = bApply.disabled = true
    try {
      return show(await postJSON(url, { yaml: ta.value, dryRun: !!dryRun }, { fetchImpl, doc }), dryRun)
    } catch (e) {
      return show({ error: t('co.fail', { msg: e.message }) })
    } finally { el.removeAttribute('aria-busy'); bDry.disabled = bApply.disabled = false }
  }

  ta.oninput = () => { if (bad.size) { bad = new Map() } lines(); save() }
  ta.onscroll = () => { gut.scrollTop = ta.scrollTop }
  ta.onkeydown = e => {
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey) { // two spaces; Esc then Tab leaves the field
      if (ta.dataset.escaped) { delete ta.dataset.escaped; return }
      e.preventDefault(); ta.setRangeText('  ', ta.selectionStart, ta.selectionEnd, 'end'); ta.oninput()
    } else if (e.key === 'Escape') ta.dataset.escaped = '1'
  }
  bDry.onclick = () => submit(true)
  bApply.onclick = () => submit(false)
  const onClick = e => {
    const b = e.target.closest?.('[data-edit]')
    if (!b) return
    e.preventDefault()
    set(b.dataset.edit || codeText(b))
    el.scrollIntoView?.({ block: 'nearest' }); ta.focus({ preventScroll: true })
  }
  doc.addEventListener('click', onClick)
  let draft = null
  try { draft = ss?.getItem(storageKey) } catch {}
  set(value || draft || '')
  return {
    get: () => ta.value, set, submit, relabel: label,
    get errors () { return new Map(bad) },
    destroy () { doc.removeEventListener('click', onClick); el.replaceChildren() }
  }
}
