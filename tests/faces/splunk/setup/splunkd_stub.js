/*
 * A loopback stand-in for Splunk Web's splunkd proxy (/<locale>/splunkd/__raw/...) and the splunkd
 * REST endpoints behind it that the kassi setup page calls. No Splunk runs here, so this answers
 * with the response shapes of Splunk's REST API reference (output_mode=json: {links, origin,
 * updated, generator, entry: [{name, id, links, author, acl, content}], paging, messages}; errors
 * as {messages: [{type: "ERROR", text}]}):
 *   storage/passwords          GET (list), POST name/password/realm (201; 409 when it exists)
 *   storage/passwords/<realm:name:>   POST password (200), DELETE
 *   configs/conf-kassi          GET, POST name=<stanza> + keys (201; 409 when it exists)
 *   configs/conf-kassi/<stanza> POST keys (200; 404 when no layer has it), DELETE
 *   data/inputs/kassi_watch     GET, POST name + args (201; 409 when it exists)
 *   data/inputs/kassi_watch/<name>[/enable|/disable]  POST (200; 404), DELETE
 *   apps/local/kassi            POST configured=true
 *   apps/local/<other app>      GET (200 with content.disabled; 404 when not installed)
 *   configs/conf-macros/<stanza>  POST keys (200; 404 when no layer has it)
 * Like Splunk Web, a POST or DELETE without the X-Splunk-Form-Key header of the session's CSRF
 * cookie is refused (401 "CSRF validation failed"). Every request is recorded for the tests.
 *
 * With ``appRoot`` it also serves the setup view as Splunk Web would render it (the view's HTML
 * panel, its stylesheet and scripts from appserver/static) and sets the CSRF cookie.
 */
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const NS = '/servicesNS/nobody/kassi';
const PROXY_RE = /^\/([a-z]{2}-[A-Z]{2})\/splunkd\/__raw(\/.*)$/;
const PAGE_RE = /^\/([a-z]{2}-[A-Z]{2})\/app\/kassi\/kassi_setup$/;
const STATIC_RE = /^\/([a-z]{2}-[A-Z]{2})\/static\/app\/kassi\/([A-Za-z0-9_.-]+)$/;
const MIME = { '.js': 'application/javascript', '.css': 'text/css', '.png': 'image/png' };

/** A .conf file of default/ as {stanza: {key: value}} (the stub's "default" layer). */
function defaultConf(appRoot, file) {
  const text = fs.readFileSync(path.join(appRoot, 'default', file), 'utf8');
  const conf = {};
  let stanza = null;
  for (const line of text.split('\n')) {
    const header = /^\[(.+)\]\s*$/.exec(line);
    const match = /^([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (header) {
      stanza = header[1];
      conf[stanza] = {};
    } else if (match && stanza) {
      conf[stanza][match[1]] = match[2].trim();
    }
  }
  return conf;
}

const ACL = {
  app: 'kassi', can_change_perms: true, can_list: true, can_share_app: true, can_share_global: true,
  can_share_user: false, can_write: true, modifiable: true, owner: 'nobody',
  perms: { read: ['*'], write: ['admin', 'sc_admin'] }, removable: true, sharing: 'app',
};

function entry(collection, name, content) {
  const self = `${NS}/${collection}/${encodeURIComponent(name)}`;
  return {
    name,
    id: `https://127.0.0.1:8089${self}`,
    updated: '2026-11-29T05:00:00+00:00',
    links: { alternate: self, list: self, edit: self, remove: self },
    author: 'nobody',
    acl: ACL,
    content: { ...content, 'eai:acl': null, 'eai:appName': 'kassi', 'eai:userName': 'nobody' },
  };
}

function feed(collection, entries) {
  return {
    links: { create: `${NS}/${collection}/_new`, _reload: `${NS}/${collection}/_reload` },
    origin: `https://127.0.0.1:8089${NS}/${collection}`,
    updated: '2026-11-29T05:00:00+00:00',
    generator: { build: 'stub', version: '10.2.0' },
    entry: entries,
    paging: { total: entries.length, perPage: 30, offset: 0 },
    messages: [],
  };
}

/** Start the stub on 127.0.0.1 (a free port). Resolves to {url, port, csrfToken, requests, state, failNext, close}. */
async function startStub(options) {
  const appRoot = options.appRoot;
  const csrfToken = options.csrfToken || '13207931756135681617';
  const requests = [];
  const failures = [];
  const state = {
    conf: defaultConf(appRoot, 'kassi.conf'),
    macros: defaultConf(appRoot, 'macros.conf'),
    inputs: {},
    passwords: {},
    app: { configured: false },
    /** Other apps installed on the stand-in: {name: {disabled}} (e.g. Splunk_ML_Toolkit). */
    apps: {},
  };
  let port = 0;

  function send(res, status, body, headers) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', ...(headers || {}) });
    res.end(text);
  }
  function error(res, status, text) {
    send(res, status, { messages: [{ type: 'ERROR', text }] });
  }

  /** splunkd proper: ``rest`` is the path under servicesNS/nobody/kassi. */
  function splunkd(req, res, rest, form) {
    const method = req.method;
    const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
    const key = parts.join('/');

    if (key === 'storage/passwords') {
      if (method === 'GET') {
        const list = Object.values(state.passwords).map((p) => entry('storage/passwords', p.entity, {
          clear_password: p.password, encr_password: '', password: '********', realm: p.realm, username: p.name,
        }));
        return send(res, 200, feed('storage/passwords', list));
      }
      if (method === 'POST') {
        const entity = `${form.realm || ''}:${form.name}:`;
        if (!form.name || !form.password) return error(res, 400, 'Missing argument: name or password');
        if (state.passwords[entity]) return error(res, 409, `An object with name=${entity} already exists`);
        state.passwords[entity] = { entity, name: form.name, realm: form.realm || '', password: form.password };
        return send(res, 201, feed('storage/passwords', [entry('storage/passwords', entity, {
          clear_password: form.password, encr_password: '', password: '********', realm: form.realm, username: form.name,
        })]));
      }
    }
    if (parts[0] === 'storage' && parts[1] === 'passwords' && parts.length === 3) {
      const entity = parts[2];
      const stored = state.passwords[entity];
      if (!stored) return error(res, 404, `Could not find object id=${entity}`);
      if (method === 'DELETE') {
        delete state.passwords[entity];
        return send(res, 200, feed('storage/passwords', []));
      }
      if (method === 'POST') {
        if (!form.password) return error(res, 400, 'Missing argument: password');
        stored.password = form.password;
        return send(res, 200, feed('storage/passwords', [entry('storage/passwords', entity, {
          clear_password: stored.password, encr_password: '', password: '********', realm: stored.realm,
          username: stored.name,
        })]));
      }
    }

    if (key === 'configs/conf-kassi') {
      if (method === 'GET') {
        const list = Object.keys(state.conf).map((s) => entry('configs/conf-kassi', s, { ...state.conf[s], disabled: false }));
        return send(res, 200, feed('configs/conf-kassi', list));
      }
      if (method === 'POST') {
        const { name, ...fields } = form;
        if (!name) return error(res, 400, 'Missing argument: name');
        if (state.conf[name]) return error(res, 409, `An object with name=${name} already exists`);
        state.conf[name] = fields;
        return send(res, 201, feed('configs/conf-kassi', [entry('configs/conf-kassi', name, fields)]));
      }
    }
    if (parts[0] === 'configs' && parts[1] === 'conf-kassi' && parts.length === 3) {
      const stanza = parts[2];
      if (!state.conf[stanza]) return error(res, 404, `Could not find object id=${stanza}`);
      if (method === 'DELETE') {
        delete state.conf[stanza];
        return send(res, 200, feed('configs/conf-kassi', []));
      }
      if (method === 'POST') {
        Object.assign(state.conf[stanza], form);
        return send(res, 200, feed('configs/conf-kassi', [entry('configs/conf-kassi', stanza, state.conf[stanza])]));
      }
    }

    const inputs = 'data/inputs/kassi_watch';
    if (key === inputs) {
      if (method === 'GET') {
        const list = Object.keys(state.inputs).map((n) => entry(inputs, n, state.inputs[n]));
        return send(res, 200, feed(inputs, list));
      }
      if (method === 'POST') {
        const { name, ...fields } = form;
        if (!name) return error(res, 400, 'Missing argument: name');
        if (state.inputs[name]) return error(res, 409, `An object with name=${name} already exists`);
        if (!fields.repo) return error(res, 400, 'Missing argument: repo');
        state.inputs[name] = { ...fields, disabled: false, host: 'stub', index: 'default' };
        return send(res, 201, feed(inputs, [entry(inputs, name, state.inputs[name])]));
      }
    }
    if (parts.slice(0, 3).join('/') === inputs && parts.length >= 4) {
      const name = parts[3];
      const action = parts[4];
      const input = state.inputs[name];
      if (!input) return error(res, 404, `Could not find object id=${name}`);
      if (method === 'DELETE' && !action) {
        delete state.inputs[name];
        return send(res, 200, feed(inputs, []));
      }
      if (method === 'POST' && (action === 'enable' || action === 'disable')) {
        input.disabled = action === 'disable';
        return send(res, 200, feed(inputs, [entry(inputs, name, input)]));
      }
      if (method === 'POST' && !action) {
        if ('name' in form) return error(res, 400, 'Argument "name" is not supported by this handler.');
        Object.assign(input, form);
        return send(res, 200, feed(inputs, [entry(inputs, name, input)]));
      }
    }

    if (parts[0] === 'configs' && parts[1] === 'conf-macros' && parts.length === 3 && method === 'POST') {
      const stanza = parts[2];
      if (!state.macros[stanza]) return error(res, 404, `Could not find object id=${stanza}`);
      Object.assign(state.macros[stanza], form);
      return send(res, 200, feed('configs/conf-macros', [entry('configs/conf-macros', stanza, state.macros[stanza])]));
    }
    if (parts[0] === 'apps' && parts[1] === 'local' && parts.length === 3 && parts[2] !== 'kassi' && method === 'GET') {
      const app = state.apps[parts[2]];
      if (!app) return error(res, 404, `Application does not exist: ${parts[2]}`);
      return send(res, 200, feed('apps/local', [entry('apps/local', parts[2], {
        configured: true, disabled: app.disabled, label: parts[2], version: '5.6.0', visible: true,
      })]));
    }
    if (key === 'apps/local/kassi' && method === 'POST') {
      if (form.configured !== undefined) state.app.configured = /^(1|true)$/i.test(form.configured);
      return send(res, 200, feed('apps/local', [entry('apps/local', 'kassi', {
        configured: state.app.configured, disabled: false, label: 'kassi', version: '0.1.0', visible: true,
      })]));
    }
    return error(res, 404, `Not Found: ${method} ${rest}`);
  }

  function servePage(res, locale) {
    const view = fs.readFileSync(path.join(appRoot, 'default', 'data', 'ui', 'views', 'kassi_setup.xml'), 'utf8');
    const panel = /<html>([\s\S]*?)<\/html>/.exec(view);
    const dashboard = /<dashboard\b([^>]*)>/.exec(view)[1];
    const attr = (name) => (new RegExp(`${name}="([^"]*)"`).exec(dashboard) || [])[1];
    const label = (/<label>([^<]*)<\/label>/.exec(view) || [])[1] || '';
    const stat = `/${locale}/static/app/kassi/`;
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${label}</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="${stat}${attr('stylesheet')}"></head>
<body><div class="dashboard-body"><h2 class="dashboard-title">${label}</h2>
<div class="dashboard-panel">${panel ? panel[1] : ''}</div></div>
<script src="${stat}kassi_setup_client.js"></script>
<script src="${stat}${attr('script')}"></script></body></html>`;
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=UTF-8',
      'Set-Cookie': `splunkweb_csrf_token_${port}=${csrfToken}; Path=/`,
    });
    res.end(page);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = new URL(req.url, 'http://127.0.0.1');
      const record = {
        method: req.method, path: target.pathname, query: target.search, headers: req.headers, body,
      };
      requests.push(record);
      const page = PAGE_RE.exec(target.pathname);
      if (page && req.method === 'GET') return servePage(res, page[1]);
      const asset = STATIC_RE.exec(target.pathname);
      if (asset && req.method === 'GET') {
        const file = path.join(appRoot, 'appserver', 'static', asset[2]);
        if (!fs.existsSync(file)) return error(res, 404, 'Not Found');
        res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream' });
        return res.end(fs.readFileSync(file));
      }
      const proxied = PROXY_RE.exec(target.pathname);
      if (!proxied || !proxied[2].startsWith(NS + '/')) return error(res, 404, `Not Found: ${target.pathname}`);
      if (target.searchParams.get('output_mode') !== 'json') return error(res, 400, 'stub answers output_mode=json only');
      if (req.method !== 'GET' && req.headers['x-splunk-form-key'] !== csrfToken) {
        return error(res, 401, 'CSRF validation failed');
      }
      const rest = proxied[2].slice(NS.length);
      const failure = failures.findIndex((f) => f.method === req.method && rest.startsWith('/' + f.path));
      if (failure >= 0) {
        const [f] = failures.splice(failure, 1);
        return error(res, f.status, f.text);
      }
      const form = Object.fromEntries(new URLSearchParams(body));
      return splunkd(req, res, rest, form);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    csrfToken,
    requests,
    state,
    /** The next ``method`` call under ``path`` (relative to the app namespace) fails with splunkd's error. */
    failNext(method, pathPrefix, status, text) {
      failures.push({ method, path: pathPrefix, status, text });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { startStub };
