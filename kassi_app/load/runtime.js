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
// Where ids are looked up: the base service itself in an A/B run (so both sides load the same ids,
// and no lookup passes kassi's proxy), else the load's own origin. Parsed like ORIGIN.
const LOOKUP_ORIGIN = parseOrigin(__ENV.LOOKUP_URL || __ENV.BASE_URL || '');
const MAX_COMBOS = 16;
const MAX_PER_COLLECTION = 8;
// Per-VU state: where this VU is in the weighted schedule, and a token that keeps bodies unique.
let cursor = (__VU * 7919) % PLAN.schedule.length;
const RUN_TAG = Math.random().toString(36).slice(2, 8);
let sequence = 0;
let requestCount = 0;
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

function urlAt(origin, path, search) {
  return `http://${origin.host}:${origin.port}${safePath(path)}${search || ''}`;
}

function urlFor(path, search) {
  return urlAt(ORIGIN, path, search);
}

// A recorded request's target (--traffic): its path, checked like any route, and its query as recorded.
function recordedUrl(target) {
  const at = target.indexOf('?');
  return at < 0 ? urlFor(target) : urlFor(target.slice(0, at), target.slice(at));
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

// The query of the k-th request of an endpoint: each spread parameter (a page, a size) cycles
// through its values, read as the digits of k in mixed radix, so every combination comes in turn.
function queryAt(req, k) {
  const out = Object.assign({}, req.query);
  let rest = k;
  Object.keys(req.queryValues).forEach((name) => {
    const values = req.queryValues[name];
    out[name] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  });
  return out;
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

// X-Kassi-Request-Id: unique within a run. The block, the VU (idInTest: unique across the k6
// processes of a segmented block), this VU's random tag (each process runs setup() as VU 0) and a
// per-VU counter. The proxy records it with the server's view; k6 writes it with its own points.
function nextRequestId() {
  requestCount += 1;
  return `${BLOCK}-${exec.vu.idInTest}-${RUN_TAG}-${requestCount}`;
}

// One request carrying its id: as a header (for the proxy) and as k6 metadata (in --out json with the
// request's points). Metadata, not a tag: a tag per request would make one k6 time series per request.
function send(method, url, body, params) {
  const id = nextRequestId();
  params.headers['X-Kassi-Request-Id'] = id;
  exec.vu.metrics.metadata.kassi_request_id = id;
  try {
    return http.request(method, url, body, params);
  } finally {
    delete exec.vu.metrics.metadata.kassi_request_id;
  }
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

// A lookup (ids, a CSRF token) is not load: it carries X-Kassi-Lookup and no block, and the proxy
// records none of it, so it is never counted as a measured route.
function lookup(url, route) {
  return http.get(url, {
    headers: { 'X-Kassi-Lookup': '1', 'X-Kassi-Route': route },
    tags: { name: route, kassi_group: 'lookup' },
    responseType: 'text',
    timeout: PLAN.requestTimeout,
  });
}

function fetchValues(cache, req, param, names, values) {
  const url = urlAt(LOOKUP_ORIGIN, fill(param.collection, names, values));
  if (!(url in cache)) {
    cache[url] = [];
    const res = lookup(url, param.collection);
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
  if (candidates.length === 0) candidates = param.fallbacks;
  const out = [];
  for (const value of candidates) {
    if (out.length >= MAX_COMBOS) break;
    const more = combos(cache, req, depth + 1, names.concat([param.name]), values.concat([value]));
    out.push(...more.slice(0, MAX_COMBOS - out.length));
  }
  return out;
}

// Keep the ids a GET route answers 2xx for (at LOOKUP: the base service in an A/B run); if none
// does, keep them all and let the 2xx share in the verdict say so.
function answering(req, found) {
  if (req.method !== 'GET' || req.params.length === 0) return found;
  const names = req.params.map((p) => p.name);
  const good = found.filter((values) => {
    const res = lookup(urlAt(LOOKUP_ORIGIN, fill(req.route, names, values), query(req.query)), req.route);
    return res.status >= 200 && res.status < 300;
  });
  return good.length ? good : found;
}

export function setup() {
  if (!ORIGIN) throw new Error('BASE_URL must be http://host:port (k6 run -e BASE_URL=http://127.0.0.1:PORT)');
  if (!LOOKUP_ORIGIN) throw new Error('LOOKUP_URL must be http://host:port');
  PLAN.requests.forEach((req) => {
    safePath(req.route);
    req.params.forEach((p) => { if (p.collection) safePath(p.collection); });
  });
  const cache = {};
  return { combos: PLAN.requests.map((req) => answering(req, combos(cache, req, 0, [], []))) };
}

// A Django form view wants the CSRF token its own page hands out (cookie + form field): fetched
// once per VU and route, as a lookup. k6 empties a VU's cookie jar every iteration, so the cookie
// is kept here and sent with each POST.
const csrfTokens = {};
function withCsrf(req, url, body, headers, params) {
  if (!(url in csrfTokens)) {
    const page = lookup(url, req.route);
    const found = /name=["']csrfmiddlewaretoken["']\s+value=["']([^"']+)["']/.exec(page.body || '');
    const cookie = ((page.cookies || {}).csrftoken || [])[0];
    csrfTokens[url] = { field: found ? found[1] : (cookie ? cookie.value : ''), cookie: cookie ? cookie.value : '' };
  }
  const token = csrfTokens[url];
  if (!token.field) return body;
  headers['X-CSRFToken'] = token.field;
  headers.Referer = url;
  if (token.cookie) params.cookies = { csrftoken: token.cookie };
  return `${body ? `${body}&` : ''}csrfmiddlewaretoken=${encodeURIComponent(token.field)}`;
}

export default function (data) {
  const index = PLAN.schedule[cursor];
  cursor = (cursor + 1) % PLAN.schedule.length;
  const req = PLAN.requests[index];
  const choices = data.combos[index];
  picks[index] = (picks[index] === undefined ? __VU : picks[index] + 1);
  const values = choices[picks[index] % choices.length];
  // Recorded traffic (--traffic): its requests in turn, as recorded (secrets already dropped).
  const recorded = req.replay.length ? req.replay[picks[index] % req.replay.length] : null;
  const url = recorded ? recordedUrl(recorded.url)
    : urlFor(fill(req.route, req.params.map((p) => p.name), values),
      query(queryAt(req, Math.floor(picks[index] / choices.length))));
  sequence += 1;
  const template = recorded ? recorded.body : req.body;
  let body = template === null ? null : template.split(PLAN.seqToken).join(`${RUN_TAG}${sequence}`);
  const headers = headersFor(recorded ? Object.assign({}, req, { contentType: recorded.contentType }) : req,
    exec.scenario.name);
  const params = {
    headers,
    tags: { name: req.route, kassi_endpoint: `${req.method} ${req.route}`, kassi_group: req.group },
    responseType: 'none',
    timeout: PLAN.requestTimeout,
  };
  if (req.csrf) body = withCsrf(req, url, body, headers, params);
  const res = send(req.method, url, body, params);
  check(res, { [`${req.method} ${req.route} status < 500`]: (r) => r.status > 0 && r.status < 500 });
  if (PLAN.thinkTime > 0) sleep(PLAN.thinkTime);
}
