/*
 * Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands
 * on fd 3, answers and events on fd 4, each a JSON message ended by NUL). Written here instead of
 * using puppeteer/playwright so the test needs no npm packages and no browser download: it drives
 * the Debian chromium the machine already has.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: $KASSI_CHROMIUM, else the first of the usual Debian paths; null when none. */
function findChromium() {
  const wanted = process.env.KASSI_CHROMIUM;
  if (wanted) return fs.existsSync(wanted) ? wanted : null;
  return CANDIDATES.find((candidate) => fs.existsSync(candidate)) || null;
}

/** Launch Chromium; resolves to a browser whose ``page()`` opens a tab to drive. */
async function launch(binary, { timeoutMs = 15000 } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kassi-chromium-'));
  const args = ['--headless=new', '--remote-debugging-pipe', '--disable-gpu', '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
    `--user-data-dir=${profile}`, 'about:blank'];
  // Chromium refuses to start its sandbox as root (containers, CI); the page is our own loopback stub.
  if (process.getuid && process.getuid() === 0) args.unshift('--no-sandbox');
  const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const toBrowser = proc.stdio[3];
  const fromBrowser = proc.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  let buffer = '';

  fromBrowser.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (message.id && pending.has(message.id)) {
        const { resolve, reject, method } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      } else if (message.method) {
        listeners.forEach((listener) => listener(message));
      }
    }
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  exited.then(() => pending.forEach(({ reject, method }) => reject(new Error(`chromium exited during ${method}: ${stderr}`))));

  function send(method, params = {}, sessionId) {
    const id = nextId++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method} got no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        method,
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      toBrowser.write(JSON.stringify(message) + '\0');
    });
  }

  async function close() {
    await send('Browser.close').catch(() => undefined);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(profile, { recursive: true, force: true });
  }

  /** A new tab; collects console errors, exceptions and log entries of the page. */
  async function page({ width = 1280, height = 900 } = {}) {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const problems = [];
    const loads = [];
    listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Runtime.exceptionThrown') {
        const d = m.params.exceptionDetails;
        problems.push({ kind: 'exception', text: (d.exception && d.exception.description) || d.text });
      } else if (m.method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(m.params.type)) {
        problems.push({ kind: 'console', text: m.params.args.map((a) => a.value ?? a.description).join(' ') });
      } else if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error') {
        problems.push({ kind: m.params.entry.source, text: `${m.params.entry.text} ${m.params.entry.url || ''}` });
      } else if (m.method === 'Page.loadEventFired') {
        loads.splice(0).forEach((resolve) => resolve());
      }
    });
    const cmd = (method, params) => send(method, params, sessionId);
    await cmd('Runtime.enable');
    await cmd('Log.enable');
    await cmd('Page.enable');
    await cmd('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });

    async function evaluate(expression) {
      const { result, exceptionDetails } = await cmd('Runtime.evaluate',
        { expression, awaitPromise: true, returnByValue: true });
      if (exceptionDetails) throw new Error(`evaluate failed: ${exceptionDetails.text} in ${expression}`);
      return result.value;
    }

    return {
      problems,
      evaluate,
      async goto(url) {
        const loaded = new Promise((resolve) => loads.push(resolve));
        await cmd('Page.navigate', { url });
        await loaded;
      },
      /** Resolves once ``expression`` is truthy in the page (checked every 50 ms), else fails after timeoutMs. */
      async waitFor(expression, what, waitMs = timeoutMs) {
        const deadline = Date.now() + waitMs;
        for (;;) {
          const value = await evaluate(expression);
          if (value) return value;
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      /** A PNG of the whole page (the viewport grown to the document's height). */
      async screenshot() {
        const fullHeight = await evaluate('Math.ceil(document.documentElement.scrollHeight)');
        await cmd('Emulation.setDeviceMetricsOverride', { width, height: fullHeight, deviceScaleFactor: 1, mobile: false });
        const { data } = await cmd('Page.captureScreenshot', { format: 'png' });
        await cmd('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
        return Buffer.from(data, 'base64');
      },
    };
  }

  return { page, close };
}

module.exports = { findChromium, launch };
