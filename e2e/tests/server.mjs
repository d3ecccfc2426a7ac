// Starts the real product for a test file: `../bin/kubelab serve` in local mode on a free
// loopback port with a fresh temporary data directory, waits until GET /api/sandbox says the
// learner's sandbox is ready, and stops it again (SIGTERM, then wait; SIGKILL only if it hangs).

import { spawn } from 'node:child_process'
import { mkdtemp, rm, access } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const here = dirname(fileURLToPath(import.meta.url))
/** BINARY is the kubelab binary under test (KUBELAB_BIN overrides it). */
export const BINARY = process.env.KUBELAB_BIN || resolve(here, '../../bin/kubelab')

/** freePort asks the kernel for a free loopback port. */
export function freePort () {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

async function getJSON (url, ms = 5000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(ms), headers: { Accept: 'application/json' } })
  return { status: res.status, body: await res.json().catch(() => null) }
}

/**
 * startServer starts kubelab and resolves when its sandbox is ready:
 * {url, port, dataDir, pid, log(), stop({keepData})}. readyTimeout defaults to 90 s.
 * A given dataDir (a restart on the same data) is kept on stop; a fresh one is removed
 * unless stop({keepData: true}).
 */
export async function startServer ({ readyTimeout = 90_000, args = [], dataDir: given } = {}) {
  await access(BINARY).catch(() => { throw new Error(`${BINARY} is missing: run \`make build\` first`) })
  const dataDir = given || await mkdtemp(join(tmpdir(), 'kubelab-e2e-'))
  let lastErr
  for (let attempt = 0; attempt < 3; attempt++) { // another process may take the port between freePort() and listen
    const port = await freePort()
    const addr = `127.0.0.1:${port}`
    const child = spawn(BINARY, ['serve', '--data', dataDir, '--addr', addr, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env }
    })
    let out = ''
    const keep = d => { out += d; if (out.length > 200_000) out = out.slice(-100_000) }
    child.stdout.on('data', keep); child.stderr.on('data', keep)
    let exited = null
    const done = new Promise(resolve => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited) }))
    const url = `http://${addr}`
    const server = {
      url, port, dataDir, pid: child.pid,
      log: () => out,
      async stop ({ keepData = !!given } = {}) {
        if (!exited) {
          child.kill('SIGTERM')
          const t = setTimeout(() => { if (!exited) child.kill('SIGKILL') }, 30_000)
          await done
          clearTimeout(t)
        }
        if (!keepData) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {})
        return exited
      }
    }
    const deadline = Date.now() + readyTimeout
    let state = ''
    while (Date.now() < deadline && !exited) {
      try {
        const r = await getJSON(`${url}/api/sandbox?start=1`)
        state = r.body?.state || `HTTP ${r.status}`
        if (state === 'ready') return server
        if (state === 'failed') break
      } catch (e) { state = e.cause?.code || e.message }
      await sleep(250)
    }
    if (exited && /address already in use/i.test(out)) { lastErr = new Error(`port ${port} taken`); continue }
    await server.stop()
    throw new Error(`kubelab did not get ready in ${readyTimeout / 1000} s (last state: ${state}${exited ? `, exited ${JSON.stringify(exited)}` : ''})\n--- server log ---\n${out.slice(-4000)}`)
  }
  if (!given) await rm(dataDir, { recursive: true, force: true }).catch(() => {})
  throw lastErr
}
