/*
 * The setup page itself (view + kassi_setup.js + kassi_setup_client.js + CSS) in headless Chromium,
 * served by the splunkd_stub.js stand-in for Splunk Web and splunkd: it loads with no console
 * error, lists what splunkd has, and its forms and buttons make the REST calls they should.
 * Set KASSI_SETUP_SCREENSHOT=<file.png> to save a screenshot of the page after setup.
 * Skipped when no Chromium is installed (tests/faces/splunk/test_setup_page.py says so too).
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { findChromium, launch } = require('./chromium.js');
const { startStub } = require('./splunkd_stub.js');

const APP_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CHROMIUM = findChromium();
const SECRETS = ['ghp-9d3c1e7f0a2b4c6d-git', 'sk-ant-5e8a2c4b6d0f1e3a-model'];

/** JS for the page: set the named fields of a form and submit it. */
function submit(formId, fields) {
  return `(() => {
    const form = document.getElementById(${JSON.stringify(formId)});
    for (const [name, value] of Object.entries(${JSON.stringify(fields)})) {
      const control = form.querySelector('[name="' + name + '"]');
      control.value = value;
      control.dispatchEvent(new Event('input', { bubbles: true }));
    }
    form.requestSubmit();
    return true;
  })()`;
}
const STATUS = "document.querySelector('.kassi-status').textContent";
const statusIs = (text) => `${STATUS} === ${JSON.stringify(text)}`;
const clickRowButton = (name, label) => `(() => {
  const row = document.querySelector('tr[data-name=${JSON.stringify(name)}]');
  const button = [...row.querySelectorAll('button')].find((b) => b.textContent === ${JSON.stringify(label)});
  button.click();
  return true;
})()`;

test('the setup page works in headless Chromium against the splunkd stand-in',
  { skip: CHROMIUM ? false : 'no Chromium (apt-get install -y chromium, or set KASSI_CHROMIUM)', timeout: 90000 },
  async () => {
    const stub = await startStub({ appRoot: APP_ROOT });
    const browser = await launch(CHROMIUM);
    try {
      stub.state.inputs.shop = { repo: '/srv/git/shop', branch: 'main', interval: '300', mode: 'every', fix: 'false',
        disabled: false, host: 'stub', index: 'default' };
      stub.state.conf['repo:shop'] = { path: '/srv/git/shop', branch: 'main' };
      const page = await browser.page({ width: 1280, height: 900 });
      await page.goto(`${stub.url}/en-US/app/kassi/kassi_setup`);
      await page.waitFor("document.querySelector('tr[data-name=\"shop\"]') !== null", 'the watched repo list');
      assert.deepEqual(page.problems, [], 'the page loads with no console error, exception or failed request');
      assert.equal(await page.evaluate("document.getElementById('kassi-setting-low_vus').value"), '2',
        'the settings form shows kassi.conf as splunkd has it');
      assert.equal(await page.evaluate("document.getElementById('kassi-setting-hec_token').placeholder"), 'not set');

      // Add a watched repo with a git token.
      await page.evaluate(submit('kassi-watch-form', { name: 'billing', repo: 'https://git.example.com/billing.git',
        branch: 'main', interval: '120', mode: 'every', fix: 'true', git_token: SECRETS[0] }));
      await page.waitFor(statusIs('Added watched repo billing.'), 'the add to finish');
      assert.deepEqual(
        { repo: stub.state.inputs.billing.repo, interval: stub.state.inputs.billing.interval, fix: stub.state.inputs.billing.fix },
        { repo: 'https://git.example.com/billing.git', interval: '120', fix: 'true' });
      assert.equal(stub.state.passwords['kassi:git_token.billing:'].password, SECRETS[0]);
      await page.waitFor("document.querySelector('tr[data-name=\"billing\"]') !== null", 'the new row');
      assert.equal(await page.evaluate("document.getElementById('kassi-watch-git_token').value"), '',
        'the secret field is emptied once stored');

      // Disable one, then see splunkd's refusal of a bad repo shown to the user.
      await page.evaluate(clickRowButton('shop', 'Disable'));
      await page.waitFor(statusIs('Disabled shop.'), 'the disable');
      assert.equal(stub.state.inputs.shop.disabled, true);
      const refusal = 'Validation for scheme=kassi_watch failed: /srv/nope is not a git repository';
      stub.failNext('POST', 'data/inputs/kassi_watch', 400, refusal);
      await page.evaluate(submit('kassi-watch-form', { name: 'nope', repo: '/srv/nope' }));
      await page.waitFor(statusIs(`Adding watched repo nope failed: ${refusal}`), 'the error message');
      assert.equal(await page.evaluate("document.querySelector('.kassi-status').className"), 'kassi-status kassi-error');

      // A bad setting is refused in the page, before any request.
      const before = stub.requests.length;
      await page.evaluate(submit('kassi-settings-form', { high_vus: '0' }));
      await page.waitFor(`${STATUS}.startsWith('high_vus must be')`, 'the validation message');
      assert.equal(stub.requests.length, before);

      // Save the settings with a model key, which finishes setup.
      stub.state.apps.Splunk_ML_Toolkit = { disabled: false }; // MLTK is installed: the forecast uses it
      await page.evaluate(submit('kassi-settings-form', { high_vus: '24', model_backend: 'anthropic',
        model_name: 'claude-sonnet', model_api_key: SECRETS[1], allowed_hosts: 'staging.example.com',
        index: 'web', dest: 'staging-1', duration_unit: 's' }));
      await page.waitFor(statusIs("Saved. kassi is configured. p95 forecast: MLTK's StateSpaceForecast."), 'the save');
      assert.equal(stub.state.conf.settings.high_vus, '24');
      assert.equal(stub.state.conf.settings.model_backend, 'anthropic');
      assert.equal(stub.state.conf.settings.index, undefined, 'access log keys go to their own stanza');
      assert.deepEqual([stub.state.conf.telemetry_splunk.index, stub.state.conf.telemetry_splunk.dest,
        stub.state.conf.telemetry_splunk.duration_unit], ['web', 'staging-1', 's']);
      assert.equal(stub.state.macros['kassi_p95_forecast(1)'].definition, '`kassi_p95_forecast_mltk($endpoint$)`');
      assert.equal(await page.evaluate("document.getElementById('kassi-setting-index').value"), 'web',
        'the form shows [telemetry_splunk] as saved');
      assert.equal(stub.state.passwords['kassi:model_api_key:'].password, SECRETS[1]);
      assert.equal(stub.state.app.configured, true);
      await page.waitFor("document.getElementById('kassi-setting-model_api_key').placeholder.startsWith('stored')",
        'the stored-secret note');

      await page.evaluate("[...document.querySelectorAll('#kassi-watch-form button')].find((b) => b.textContent === 'Clear').click()");
      assert.deepEqual(await page.evaluate("[...new FormData(document.getElementById('kassi-watch-form')).values()]"),
        ['', '', '', '', 'every', '', 'false', ''], 'Clear empties the watch form');

      if (process.env.KASSI_SETUP_SCREENSHOT) {
        await page.evaluate('window.scrollTo(0, 0)');
        fs.writeFileSync(process.env.KASSI_SETUP_SCREENSHOT, await page.screenshot());
      }

      // Removing secrets: the model key on request; a removed repo's git token once no repo of its name is left.
      await page.evaluate("document.querySelector('[data-forget=\"model_api_key\"]').click()");
      await page.waitFor(statusIs('Removed the stored API key.'), 'the key removal');
      assert.equal(stub.state.passwords['kassi:model_api_key:'], undefined);
      await page.waitFor("document.querySelector('[data-forget=\"model_api_key\"]').hidden", 'the button to hide');
      await page.evaluate(clickRowButton('billing', 'Remove'));
      await page.evaluate(clickRowButton('billing', 'Confirm remove'));
      await page.waitFor(statusIs('Removed watched repo billing.'), 'the watch removal');
      assert.equal(stub.state.inputs.billing, undefined);
      assert.equal(stub.state.passwords['kassi:git_token.billing:'], undefined, 'its git token went with it');

      for (const r of stub.requests) {
        if (r.method !== 'GET') assert.equal(r.headers['x-splunk-form-key'], stub.csrfToken, `${r.method} ${r.path}`);
        const outside = !/\/storage\/passwords/.test(r.path);
        for (const secret of SECRETS) {
          assert.ok(!(r.path + r.query).includes(secret), `secret in the URL of ${r.path}`);
          if (outside) assert.ok(!r.body.includes(secret), `secret in the body of ${r.method} ${r.path}`);
        }
      }
      const html = await page.evaluate('document.documentElement.outerHTML');
      for (const secret of SECRETS) assert.ok(!html.includes(secret), 'a secret is shown in the page');
      const scriptProblems = page.problems.filter((p) => p.kind !== 'network');
      assert.deepEqual(scriptProblems, [], 'no script error while using the page (refused requests are expected)');
    } finally {
      await browser.close();
      await stub.close();
    }
  });
