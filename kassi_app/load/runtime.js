// kassi load script (generated; self-contained). Run with: k6 run -e BASE_URL=http://... -e KASSI_BLOCK=1
import http from 'k6/http';
import exec from 'k6/execution';
import { check, sleep } from 'k6';

/*__KASSI_OPTIONS__*/
/*__KASSI_PLAN__*/

// The target's origin, parsed: load goes to this scheme, host and port only. Every URL is the
// origin plus a path checked by safePath, never `BASE_URL + route` as text.
const ORIGIN = parseOrigin(__ENV.BASE_URL || '');
const BLOCK = __ENV.KASSI_BLOCK || '0';
const MAX_COMBOS = 16;
const MAX_PER_COLLECTION = 8;
// Per-VU state: where this VU is in the weighted schedule, and a token that keeps bodies unique.
let cursor = (__VU * 7919) % PLAN.schedule.length;
const RUN_TAG = Math.random().toString(36).slice(2, 8);
let sequence = 0;
const picks = {};

function parseOrigin(text) {
  const m = /^http:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?\/?$/.exec(text);
  if (!m) return null;
  return { host: m[1], port: m[2] || '80' };
}

// A path kassi may load: one leading '/', no authority ('//'), no '\\', whitespace, control
// characters, '?' or '#', no '.' or '..' segment. kassi validates routes in Python too; this keeps
// an edited or hand-written script from sending load off the origin.
function safePath(path) {
  if (typeof path !== 'string' || !/^\/(?!\/)[^\x00-\x20\x7f\\?#]*$/.test(path)
      || path.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`kassi refuses to load a route that is not a plain path: ${JSON.stringify(path)}`);
  }
  return path;
}

function urlFor(path, search) {
  return `http://${ORIGIN.host}:${ORIGIN.port}${safePath(path)}${search || ''}`;
}

function fill(route, names, values) {
  let url = route;
  names.forEach((name, i) => {
    // A value of '.' or '..' (a collection may hold one) would make a dot segment: encode its dots.
    const value = encodeURIComponent(String(values[i])).replace(/^\.{1,2}$/, (dots) => dots.replace(/\./g, '%2E'));
    url = url.replace(`{${name}}`, value);
  });
  return url;
}

function query(params) {
  const parts = Object.keys(params).map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(String(params[k]))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function headersFor(req, stage) {
  const headers = Object.assign({}, req.headers, {
    'X-Kassi-Route': req.route,
    'X-Kassi-Stage': stage,
    'X-Kassi-Block': BLOCK,
  });
  if (req.contentType) headers['Content-Type'] = req.contentType;
  return headers;
}

// The values a collection holds for one parameter: a JSON list, or the first list inside an object.
function valuesFrom(body, name) {
  let items = body;
  if (items && !Array.isArray(items) && typeof items === 'object') {
    const preferred = ['items', 'data', 'results', 'content', 'records'].find((k) => Array.isArray(items[k]));
    items = preferred ? items[preferred] : Object.values(items).find((v) => Array.isArray(v));
  }
  if (!Array.isArray(items)) return [];
  const snake = name.replace(/([A-Z])/g, '_$1').toLowerCase();
  const keys = [name, 'id', snake, '_id', 'uuid'];
  const out = [];
  for (const item of items) {
    if (out.length >= MAX_PER_COLLECTION) break;
    if (item !== null && typeof item === 'object') {
      const key = keys.find((k) => item[k] !== undefined && item[k] !== null && typeof item[k] !== 'object');
      if (key !== undefined) out.push(item[key]);
    } else if (item !== null && item !== undefined) {
      out.push(item);
    }
  }
  return out;
}

function fetchValues(cache, req, param, names, values) {
  const url = urlFor(fill(param.collection, names, values));
  if (!(url in cache)) {
    cache[url] = [];
    const res = http.get(url, {
      headers: headersFor({ headers: {}, route: param.collection }, 'setup'),
      tags: { name: param.collection, kassi_group: 'setup' },
      responseType: 'text',
      timeout: PLAN.requestTimeout,
    });
    if (res.status === 200) {
      try { cache[url] = valuesFrom(JSON.parse(res.body), param.name); } catch (e) { cache[url] = []; }
    }
  }
  return cache[url];
}

// All parameter combinations for one endpoint; nested collections are read under each parent value.
function combos(cache, req, depth, names, values) {
  if (depth === req.params.length) return [values.slice()];
  const param = req.params[depth];
  let candidates = param.collection ? fetchValues(cache, req, param, names, values) : [];
  if (candidates.length === 0) candidates = [param.fallback];
  const out = [];
  for (const value of candidates) {
    if (out.length >= MAX_COMBOS) break;
    const more = combos(cache, req, depth + 1, names.concat([param.name]), values.concat([value]));
    out.push(...more.slice(0, MAX_COMBOS - out.length));
  }
  return out;
}

export function setup() {
  if (!ORIGIN) throw new Error('BASE_URL must be http://host:port (k6 run -e BASE_URL=http://127.0.0.1:PORT)');
  PLAN.requests.forEach((req) => {
    safePath(req.route);
    req.params.forEach((p) => { if (p.collection) safePath(p.collection); });
  });
  const cache = {};
  return { combos: PLAN.requests.map((req) => combos(cache, req, 0, [], [])) };
}

export default function (data) {
  const index = PLAN.schedule[cursor];
  cursor = (cursor + 1) % PLAN.schedule.length;
  const req = PLAN.requests[index];
  const choices = data.combos[index];
  picks[index] = (picks[index] === undefined ? __VU : picks[index] + 1);
  const values = choices[picks[index] % choices.length];
  const url = urlFor(fill(req.route, req.params.map((p) => p.name), values), query(req.query));
  sequence += 1;
  const body = req.body === null ? null : req.body.split(PLAN.seqToken).join(`${RUN_TAG}${sequence}`);
  const res = http.request(req.method, url, body, {
    headers: headersFor(req, exec.scenario.name),
    tags: { name: req.route, kassi_endpoint: `${req.method} ${req.route}`, kassi_group: req.group },
    responseType: 'none',
    timeout: PLAN.requestTimeout,
  });
  check(res, { [`${req.method} ${req.route} status < 500`]: (r) => r.status > 0 && r.status < 500 });
  if (PLAN.thinkTime > 0) sleep(PLAN.thinkTime);
}
