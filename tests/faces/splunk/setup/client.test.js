/*
 * The setup page's REST client (appserver/static/kassi_setup_client.js) against the loopback
 * stand-in for Splunk Web's splunkd proxy (splunkd_stub.js), over real HTTP with node's fetch.
 * Run: node --test tests/faces/splunk/setup/  (tests/faces/splunk/test_setup_page.py runs it).
 */
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { test, beforeEach, afterEach } = require('node:test');

const APP_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const lib = require(path.join(APP_ROOT, 'appserver', 'static', 'kassi_setup_client.js'));
const { startStub } = require('./splunkd_stub.js');

const SECRET = 'sk-live-4f1e9c0d2b7a-never-in-a-conf';
let stub;
let client;

beforeEach(async () => {
  stub = await startStub({ appRoot: APP_ROOT });
  client = lib.createClient({
    fetch,
    baseUrl: stub.url + lib.baseUrlFromPagePath('/en-US/app/kassi/kassi_setup'),
    csrfToken: stub.csrfToken,
  });
});

afterEach(async () => {
  await stub.close();
});

const writes = () => stub.requests.filter((r) => r.method !== 'GET');
const form = (r) => Object.fromEntries(new URLSearchParams(r.body));
const nsPath = (r) => r.path.replace(/^\/en-US\/splunkd\/__raw\/servicesNS\/nobody\/kassi\//, '');

test('page paths map to the proxy URL of the app namespace, with or without a root endpoint', () => {
  assert.equal(lib.baseUrlFromPagePath('/en-US/app/kassi/kassi_setup'), '/en-US/splunkd/__raw/servicesNS/nobody/kassi');
  assert.equal(lib.baseUrlFromPagePath('/splunk/de-DE/app/kassi/kassi_setup'),
    '/splunk/de-DE/splunkd/__raw/servicesNS/nobody/kassi');
});

test('the CSRF token comes from the splunkweb_csrf_token_<port> cookie of the Splunk Web port', () => {
  const cookies = 'splunkd_8000=abc; splunkweb_csrf_token_8000=111; splunkweb_csrf_token_8443=222; token_key=111';
  assert.equal(lib.csrfTokenFromCookie(cookies, 8443), '222');
  assert.equal(lib.csrfTokenFromCookie('a=b; splunkweb_csrf_token_8000=111', '443'), '111');
  assert.equal(lib.csrfTokenFromCookie(cookies, '9999'), null, 'ambiguous: two ports, none of them ours');
  assert.equal(lib.csrfTokenFromCookie('splunkd_8000=abc', 8000), null);
  assert.throws(() => lib.createClient({ fetch, baseUrl: stub.url, csrfToken: null }), /CSRF token/);
});

test('a new secret is created in realm kassi (201)', async () => {
  await client.storeSecret('model_api_key', SECRET);
  const [create] = writes();
  assert.equal(create.method, 'POST');
  assert.equal(nsPath(create), 'storage/passwords');
  assert.deepEqual(form(create), { name: 'model_api_key', password: SECRET, realm: 'kassi' });
  assert.equal(stub.state.passwords['kassi:model_api_key:'].password, SECRET);
  assert.deepEqual(await client.listSecretNames(), ['model_api_key']);
});

test('an existing secret (409 on create) is updated through its entity kassi:<name>:', async () => {
  await client.storeSecret('hec_token', 'old-token-value');
  await client.storeSecret('hec_token', SECRET);
  const posts = writes();
  assert.equal(posts.length, 3, 'create, create (409), update');
  assert.equal(nsPath(posts[1]), 'storage/passwords');
  assert.equal(decodeURIComponent(nsPath(posts[2])), 'storage/passwords/kassi:hec_token:');
  assert.deepEqual(form(posts[2]), { password: SECRET }, 'the update sends the password only');
  assert.equal(stub.state.passwords['kassi:hec_token:'].password, SECRET);
});

test('listing secrets asks splunkd for names only, so no clear password reaches the browser', async () => {
  await client.storeSecret('hec_token', SECRET);
  await client.listSecretNames();
  const list = stub.requests.find((r) => r.method === 'GET' && nsPath(r) === 'storage/passwords');
  const query = new URLSearchParams(list.query);
  assert.deepEqual(query.getAll('f').sort(), ['realm', 'username']);
  assert.equal(query.get('search'), 'realm=kassi');
});

test('watched repos are created, edited, disabled, enabled and removed as kassi_watch inputs', async () => {
  await client.addWatch('shop', { repo: 'https://git.example.com/shop.git', branch: 'main', interval: '300',
    mode: 'every', duration: '', fix: 'true' });
  const [create] = writes();
  assert.equal(nsPath(create), 'data/inputs/kassi_watch');
  assert.deepEqual(form(create), { name: 'shop', repo: 'https://git.example.com/shop.git', branch: 'main',
    interval: '300', mode: 'every', fix: 'true' }, 'empty fields are left out');

  await client.editWatch('shop', { branch: 'release', interval: '60', name: 'ignored' });
  const edit = writes()[1];
  assert.equal(nsPath(edit), 'data/inputs/kassi_watch/shop');
  assert.deepEqual(form(edit), { branch: 'release', interval: '60' }, 'an edit never sends name');

  await client.setWatchEnabled('shop', false);
  assert.equal(nsPath(writes()[2]), 'data/inputs/kassi_watch/shop/disable');
  let [watch] = await client.listWatches();
  assert.deepEqual(watch, { name: 'shop', disabled: true, repo: 'https://git.example.com/shop.git',
    branch: 'release', interval: '60', mode: 'every', duration: '', fix: 'true' });

  await client.setWatchEnabled('shop', true);
  assert.equal(nsPath(writes()[3]), 'data/inputs/kassi_watch/shop/enable');
  [watch] = await client.listWatches();
  assert.equal(watch.disabled, false);

  await client.removeWatch('shop');
  assert.equal(writes()[4].method, 'DELETE');
  assert.deepEqual(await client.listWatches(), []);
});

test('input and repo names that would break a stanza or a path are refused before any request', async () => {
  await assert.rejects(() => client.editWatch('../apps', {}), /letters, digits/);
  await assert.rejects(() => client.writeRepo('a/b', { path: '/x' }), /letters, digits/);
  await assert.rejects(() => client.addWatch('x y', { repo: '/x' }), /letters, digits/);
  await assert.rejects(() => client.removeRepo('repo:x'), /letters, digits/);
  assert.equal(stub.requests.length, 0);
});

test('settings are written to [settings] and repos to [repo:<name>] stanzas of kassi.conf', async () => {
  await client.writeSettings({ k6_path: '/opt/k6/k6', allowed_hosts: 'staging.example.com', max_concurrent_runs: '2',
    model_backend: 'ollama', model_endpoint: 'http://127.0.0.1:11434' });
  const [settings] = writes();
  assert.equal(decodeURIComponent(nsPath(settings)), 'configs/conf-kassi/settings');
  assert.equal(stub.state.conf.settings.k6_path, '/opt/k6/k6');
  assert.equal(stub.state.conf.settings.low_vus, '2', 'untouched defaults stay');

  await client.writeRepo('shop', { path: '/srv/git/shop', branch: 'main' });
  const [edit404, create] = writes().slice(1);
  assert.equal(decodeURIComponent(nsPath(edit404)), 'configs/conf-kassi/repo:shop');
  assert.equal(nsPath(create), 'configs/conf-kassi');
  assert.deepEqual(form(create), { path: '/srv/git/shop', branch: 'main', name: 'repo:shop' });

  await client.writeRepo('shop', { path: '/srv/git/shop2' });
  assert.equal(writes().length, 4, 'an existing stanza is edited in one call');
  assert.deepEqual(await client.listRepos(), [{ name: 'shop', path: '/srv/git/shop2', branch: 'main' }]);

  await client.writeSettings({ allowed_hosts: '' });
  assert.equal(form(writes().at(-1)).allowed_hosts, '', 'an emptied setting is sent, so it can be cleared');
  assert.equal(stub.state.conf.settings.allowed_hosts, '');

  const conf = await client.readConf();
  assert.equal(conf.settings.model_backend, 'ollama');
  assert.ok(!Object.keys(conf.settings).some((k) => k.startsWith('eai:')), 'splunkd bookkeeping is dropped');

  await client.removeRepo('shop');
  assert.deepEqual(await client.listRepos(), []);
});

test('the app is marked configured', async () => {
  await client.markConfigured();
  const [mark] = writes();
  assert.equal(nsPath(mark), 'apps/local/kassi');
  assert.deepEqual(form(mark), { configured: 'true' });
  assert.equal(stub.state.app.configured, true);
});

const FORECAST = 'kassi_p95_forecast(1)';
const macroDefinition = () => stub.state.macros[FORECAST].definition;

test('the forecast macro ships pointing at the plain trend, and both forecasts exist in macros.conf', () => {
  assert.equal(macroDefinition(), '`kassi_p95_forecast_trend($endpoint$)`');
  assert.match(stub.state.macros['kassi_p95_forecast_trend(1)'].definition, /\| predict p95_ms /);
  assert.match(stub.state.macros['kassi_p95_forecast_mltk(1)'].definition, /\| fit StateSpaceForecast p95_ms /);
});

test('with MLTK installed and enabled, the forecast macro points at StateSpaceForecast', async () => {
  stub.state.apps.Splunk_ML_Toolkit = { disabled: false };
  assert.equal(await client.useForecast(), 'mltk');
  const probe = stub.requests.find((r) => r.method === 'GET' && nsPath(r) === 'apps/local/Splunk_ML_Toolkit');
  assert.ok(probe, 'asks splunkd whether the app is installed');
  const [write] = writes();
  assert.equal(decodeURIComponent(nsPath(write)), `configs/conf-macros/${FORECAST}`);
  assert.deepEqual(form(write), { definition: '`kassi_p95_forecast_mltk($endpoint$)`' });
  assert.equal(macroDefinition(), '`kassi_p95_forecast_mltk($endpoint$)`');
});

test('with MLTK missing (404) or disabled, the forecast macro points (back) at the plain trend', async () => {
  stub.state.apps.Splunk_ML_Toolkit = { disabled: false };
  await client.useForecast();
  stub.state.apps.Splunk_ML_Toolkit = { disabled: true };
  assert.equal(await client.useForecast(), 'trend');
  assert.equal(macroDefinition(), '`kassi_p95_forecast_trend($endpoint$)`');
  delete stub.state.apps.Splunk_ML_Toolkit;
  await client.useForecast();
  assert.equal(macroDefinition(), '`kassi_p95_forecast_trend($endpoint$)`');
});

test('a failing MLTK check (not a 404) is an error, and the macro is left as it was', async () => {
  stub.failNext('GET', 'apps/local/Splunk_ML_Toolkit', 403, 'Permission denied');
  await assert.rejects(client.useForecast(), (e) => e instanceof lib.SplunkdError && e.status === 403);
  assert.deepEqual(writes(), []);
});

test('[telemetry_splunk] gets the access log settings the page edits, nothing else', async () => {
  await client.writeTelemetry({ index: 'web', sourcetype: 'access_combined', dest: 'staging-1',
    duration_field: 'duration', duration_unit: 's', high_vus: '99' });
  const [write] = writes();
  assert.equal(decodeURIComponent(nsPath(write)), 'configs/conf-kassi/telemetry_splunk');
  assert.deepEqual(form(write), { index: 'web', sourcetype: 'access_combined', dest: 'staging-1',
    duration_field: 'duration', duration_unit: 's' });
  assert.equal(stub.state.conf.telemetry_splunk.index, 'web');
  assert.deepEqual(lib.validateSettings({ index: 'web', sourcetype: 'access_combined', duration_field: 'exception.type',
    duration_unit: 'ms' }), []);
  const problems = lib.validateSettings({ index: 'web*', sourcetype: 'a|b', duration_field: '-x', duration_unit: 'min' });
  assert.deepEqual(problems.map((p) => p.split(' ')[0]), ['index', 'sourcetype', 'duration_field', 'duration_unit']);
});

test('every write carries the CSRF form key; reads go through the proxy with output_mode=json', async () => {
  await client.storeSecret('hec_token', SECRET);
  await client.storeSecret('hec_token', SECRET);
  await client.writeSettings({ hec_url: 'https://splunk.example.com:8088' });
  await client.writeRepo('shop', { path: '/srv/git/shop' });
  await client.addWatch('shop', { repo: '/srv/git/shop' });
  await client.editWatch('shop', { branch: 'dev' });
  await client.setWatchEnabled('shop', false);
  await client.removeWatch('shop');
  await client.removeSecret('hec_token');
  await client.markConfigured();
  await client.listWatches();
  assert.ok(writes().length >= 10);
  for (const r of stub.requests) {
    assert.match(r.path, /^\/en-US\/splunkd\/__raw\/servicesNS\/nobody\/kassi\//);
    assert.equal(new URLSearchParams(r.query).get('output_mode'), 'json');
    if (r.method !== 'GET') assert.equal(r.headers['x-splunk-form-key'], stub.csrfToken, `${r.method} ${r.path}`);
  }
});

test('a write without the CSRF form key is refused, and the refusal reaches the caller', async () => {
  const forged = lib.createClient({ fetch, baseUrl: stub.url + '/en-US/splunkd/__raw/servicesNS/nobody/kassi',
    csrfToken: 'not-the-session-token' });
  await assert.rejects(() => forged.writeSettings({ k6_path: '/tmp/evil' }),
    (e) => e instanceof lib.SplunkdError && e.status === 401 && e.message === 'CSRF validation failed');
  assert.equal(stub.state.conf.settings.k6_path, '');
});

test('the secret appears in nothing the stub received outside storage/passwords, nor in any URL', async () => {
  await client.writeSettings({ model_backend: 'openai', model_endpoint: 'https://api.example.com/v1', model_name: 'm' });
  await client.storeSecret('model_api_key', SECRET);
  await client.storeSecret('model_api_key', SECRET);
  await client.storeSecret(lib.gitTokenName('shop'), SECRET);
  await client.writeRepo('shop', { path: 'https://git.example.com/shop.git', branch: 'main' });
  await client.addWatch('shop', { repo: 'https://git.example.com/shop.git', branch: 'main' });
  await client.markConfigured();
  await client.listSecretNames();
  const encoded = encodeURIComponent(SECRET);
  for (const r of stub.requests) {
    const seen = [r.path, r.query, JSON.stringify(r.headers)].join('\n');
    assert.ok(!seen.includes(SECRET) && !seen.includes(encoded), `secret in the URL or headers of ${r.path}`);
    if (!nsPath(r).startsWith('storage/passwords')) {
      assert.ok(!r.body.includes(SECRET) && !r.body.includes(encoded), `secret in the body of ${r.method} ${r.path}`);
    }
  }
  assert.ok(!JSON.stringify(stub.state.conf).includes(SECRET));
  assert.ok(!JSON.stringify(stub.state.inputs).includes(SECRET));
});

test("splunkd's own error text (messages[0].text) reaches the caller", async () => {
  const refusal = 'Validation for scheme=kassi_watch failed: /srv/nope is not a git repository';
  stub.failNext('POST', 'data/inputs/kassi_watch', 400, refusal);
  await assert.rejects(() => client.addWatch('nope', { repo: '/srv/nope' }),
    (e) => e instanceof lib.SplunkdError && e.status === 400 && e.message === refusal);

  await assert.rejects(() => client.editWatch('ghost', { branch: 'x' }),
    (e) => e.status === 404 && e.message === 'Could not find object id=ghost');

  stub.failNext('POST', 'storage/passwords', 403, 'You (user=bob) do not have permission to perform this operation');
  await assert.rejects(() => client.storeSecret('hec_token', SECRET), /do not have permission/);
  assert.deepEqual(stub.state.passwords, {}, 'a 403 is not retried as an update');
});

test('a non-JSON failure (an expired Splunk Web session answering HTML) still gives a readable error', async () => {
  const html = async () => new Response('<html>login</html>', { status: 303, statusText: 'See Other' });
  const expired = lib.createClient({ fetch: html, baseUrl: '/en-US/splunkd/__raw/servicesNS/nobody/kassi', csrfToken: 't' });
  await assert.rejects(() => expired.listWatches(), (e) => e.status === 303 && e.message === 'HTTP 303 See Other');
});

test('settings are checked before they are written, with the rules of kassi.conf.spec', () => {
  assert.deepEqual(lib.validateSettings({ low_vus: '2', high_vus: '16', low_duration_s: '1.5', rounds: '3',
    model_backend: 'ollama', model_endpoint: 'http://127.0.0.1:11434', hec_url: '', allowed_hosts: 'a.example.com, 10.0.0.5' }), []);
  const problems = lib.validateSettings({ low_vus: '0', rounds: '2.5', high_duration_s: '0.5', model_backend: 'gpt',
    hec_url: 'splunk:8088', allowed_hosts: 'ok.example.com, https://evil.example.com/x' });
  assert.deepEqual(problems.map((p) => p.split(/[ :]/)[0]),
    ['low_vus', 'rounds', 'high_duration_s', 'hec_url', 'model_backend', 'allowed_hosts']);
});

test('inside Splunk Web, RequireJS loads the client module and the page waits for Simple XML', () => {
  // A stand-in for Splunk Web's RequireJS: define/require that record what the scripts ask for.
  const vm = require('node:vm');
  const fs = require('node:fs');
  const staticDir = path.join(APP_ROOT, 'appserver', 'static');
  const asked = [];
  const defined = [];
  const define = (deps, factory) => defined.push({ deps, factory });
  define.amd = { jQuery: true };
  const sandbox = { define, require: (deps, callback) => asked.push({ deps, callback }) };
  sandbox.window = sandbox;
  vm.runInNewContext(fs.readFileSync(path.join(staticDir, 'kassi_setup_client.js'), 'utf8'), sandbox);
  vm.runInNewContext(fs.readFileSync(path.join(staticDir, 'kassi_setup.js'), 'utf8'), sandbox);
  assert.equal(defined.length, 1, 'the client is an anonymous AMD module');
  const plain = (value) => JSON.parse(JSON.stringify(value)); // arrays made in the sandbox's realm
  assert.deepEqual(plain(defined[0].deps), []);
  assert.equal(typeof defined[0].factory().createClient, 'function');
  assert.equal(sandbox.KassiSetupClient, undefined, 'no global under RequireJS');
  assert.deepEqual(plain(asked.map((a) => a.deps)), [['../app/kassi/kassi_setup_client', 'splunkjs/mvc/simplexml/ready!']]);
});
