/*
 * The kassi setup page (default/data/ui/views/kassi_setup.xml): builds its forms in the view's
 * #kassi-setup panel and talks to splunkd only through kassi_setup_client.js (the REST part,
 * tested in node). Everything shown to the user is set as text, never as HTML, so a repo name or
 * a splunkd message cannot inject markup. Secret fields are write-only: the page shows whether a
 * secret is stored, never its value, and clears the field once it is saved.
 *
 * Inside Splunk Web, RequireJS loads this file and the client module; elsewhere (tests) the
 * client is a global from a <script> tag.
 */
(function (global) {
  'use strict';

  /** The app's own secrets (storage/passwords, realm kassi); git tokens are per repo. */
  var SECRETS = ['model_api_key', 'hec_token'];
  var SETTINGS = [
    { section: 'Load and safety', fields: [
      ['k6_path', 'k6 binary', 'text', 'Empty: k6 from the PATH of splunkd'],
      ['allowed_hosts', 'Allowed hosts', 'text', 'Comma-separated; loopback is always allowed'],
      ['max_concurrent_runs', 'Concurrent runs', 'number', 'Runs at once on this search head'],
      ['low_vus', 'Low stage VUs', 'number', ''],
      ['high_vus', 'High stage VUs', 'number', ''],
      ['low_duration_s', 'Low stage seconds', 'number', ''],
      ['high_duration_s', 'High stage seconds', 'number', ''],
      ['rounds', 'A/B rounds', 'number', 'Each round: one block at base, one at head'],
    ] },
    { section: 'Model (optional)', fields: [
      ['model_backend', 'Backend', ['none', 'ollama', 'openai', 'anthropic'], 'The verdict never comes from a model'],
      ['model_endpoint', 'Endpoint URL', 'text', 'e.g. http://127.0.0.1:11434 for Ollama'],
      ['model_name', 'Model name', 'text', ''],
      ['model_api_key', 'API key', 'secret', ''],
    ] },
    { section: 'Publishing to HEC (optional)', fields: [
      ['hec_url', 'HEC URL', 'text', 'e.g. https://splunk.example.com:8088; runs inside Splunk need none'],
      ['hec_index', 'Index', 'text', "Empty: the token's default index"],
      ['hec_ca_file', 'CA file', 'text', 'PEM of the CA that signed the HEC certificate'],
      ['hec_token', 'HEC token', 'secret', ''],
    ] },
    { section: "A service's access log in Splunk (telemetry=splunk, optional)", stanza: 'telemetry_splunk', fields: [
      ['index', 'Index', 'text', "Empty: | kassi url=... telemetry=splunk is refused"],
      ['sourcetype', 'Sourcetype', 'text', 'Empty: any'],
      ['dest', 'Host (dest)', 'text', 'Only events whose dest equals this; empty: any'],
      ['duration_field', 'Duration field', 'text', 'Empty: response_time (CIM Web)'],
      ['duration_unit', 'Duration unit', ['ms', 's', 'us'], ''],
    ] },
  ];
  var WATCH_FORM = [
    ['name', 'Name', 'text', 'Letters, digits, _ and -'],
    ['repo', 'Repository', 'text', 'Local clone path or git URL'],
    ['branch', 'Branch', 'text', 'main'],
    ['interval', 'Poll every (s)', 'number', '300'],
    ['mode', 'Mode', ['every', 'tip'], 'every: each new commit; tip: the newest of a push'],
    ['duration', 'Load seconds', 'number', 'Empty: the default load'],
    ['fix', 'Propose a fix', ['false', 'true'], ''],
    ['git_token', 'Git token', 'secret', 'Only for private repos over https'],
  ];
  var REPO_FORM = [
    ['name', 'Name', 'text', 'What searches say: | kassi repo=<name>'],
    ['path', 'Repository', 'text', 'Local clone path or git URL'],
    ['branch', 'Branch', 'text', 'main'],
    ['git_token', 'Git token', 'secret', 'Only for private repos over https'],
  ];

  /**
   * An element with attributes and children; strings become text nodes (never HTML). Forms are
   * built with novalidate: the page checks values itself (validateSettings), with the spec's
   * wording, instead of the browser's bubbles.
   */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (key === 'onclick' || key === 'onsubmit') {
        el[key] = value;
      } else if (value !== false && value !== null && value !== undefined) {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return el;
  }

  /**
   * One labelled field: [key, label, type | options, hint] -> a row; the control's id is prefix-key.
   * The hint shows next to the control, or inside it as a placeholder when ``hintInside``.
   */
  function field(prefix, spec, hintInside) {
    var key = spec[0];
    var type = spec[2];
    var hint = spec[3];
    var id = prefix + '-' + key;
    var control;
    if (Array.isArray(type)) {
      control = h('select', { id: id, name: key }, type.map(function (o) { return h('option', { value: o }, [o]); }));
    } else {
      control = h('input', {
        id: id, name: key, type: type === 'secret' ? 'password' : type,
        min: type === 'number' ? '1' : null, step: type === 'number' ? 'any' : null,
        autocomplete: type === 'secret' ? 'new-password' : 'off',
        placeholder: hintInside ? hint : null,
      });
    }
    return h('div', { 'class': 'kassi-field' }, [
      h('label', { 'for': id }, [spec[1]]), control, hint && !hintInside ? h('span', { 'class': 'kassi-hint' }, [hint]) : null,
    ]);
  }

  function values(form, specs) {
    var out = {};
    specs.forEach(function (spec) {
      out[spec[0]] = form.querySelector('[name="' + spec[0] + '"]').value.trim();
    });
    return out;
  }

  /** Put ``data`` into a form; secret fields are write-only, so filling a form empties them. */
  function fill(form, specs, data) {
    specs.forEach(function (spec) {
      var control = form.querySelector('[name="' + spec[0] + '"]');
      control.value = spec[2] === 'secret' || data[spec[0]] === undefined ? '' : data[spec[0]];
    });
  }

  function start(lib) {
    var root = document.getElementById('kassi-setup');
    var status = h('div', { 'class': 'kassi-status', role: 'status', 'aria-live': 'polite' });
    root.textContent = '';
    root.appendChild(status);

    function say(kind, text) {
      status.className = 'kassi-status kassi-' + kind;
      status.textContent = text;
    }
    function failed(what) {
      return function (error) {
        say('error', what + ' failed: ' + (error && error.message ? error.message : String(error)));
      };
    }

    var client;
    try {
      client = lib.createClient({
        fetch: global.fetch.bind(global),
        baseUrl: lib.baseUrlFromPagePath(global.location.pathname),
        csrfToken: lib.csrfTokenFromCookie(global.document.cookie, global.location.port),
      });
    } catch (error) {
      say('error', error.message);
      return;
    }

    var watchBody = h('tbody');
    var repoBody = h('tbody');
    /** What splunkd had at the last refresh: {watches, repos, secrets (names)}. */
    var known = { watches: [], repos: [], secrets: [] };

    /** A git token outlives its repo only while a watched repo or a repo of the same name uses it. */
    function forgetUnusedGitToken(name, removed) {
      var named = function (item) { return item.name === name; };
      var stillUsed = (removed === 'watch' ? known.repos : known.watches).some(named);
      var secret = lib.gitTokenName(name);
      return stillUsed || known.secrets.indexOf(secret) < 0 ? null : client.removeSecret(secret);
    }

    /** "Remove stored": deletes an app secret from storage/passwords (shown only while one is stored). */
    function forgetButton(name, label) {
      var button = h('button', { type: 'button', 'class': 'btn btn-small kassi-forget', 'data-forget': name, hidden: true },
        ['Remove stored ' + label]);
      button.onclick = function () {
        client.removeSecret(name).then(function () {
          say('ok', 'Removed the stored ' + label + '.');
          return refresh();
        }).catch(failed('Removing the stored ' + label));
      };
      return button;
    }

    // Watched repos: kassi_watch inputs, applied at once.
    var watchForm = h('form', { 'class': 'kassi-form', id: 'kassi-watch-form', novalidate: true },
      WATCH_FORM.map(function (spec) { return field('kassi-watch', spec, true); }));
    var watchSubmit = h('button', { type: 'submit', 'class': 'btn btn-primary' }, ['Add watched repo']);
    var watchEditing = null;
    watchForm.appendChild(h('div', { 'class': 'kassi-actions' }, [watchSubmit,
      h('button', { type: 'button', 'class': 'btn', onclick: function () { editWatch(null); } }, ['Clear'])]));

    function editWatch(watch) {
      watchEditing = watch ? watch.name : null;
      fill(watchForm, WATCH_FORM, watch || { mode: 'every', fix: 'false' });
      watchForm.querySelector('[name="name"]').readOnly = Boolean(watch);
      watchSubmit.textContent = watch ? 'Save ' + watch.name : 'Add watched repo';
    }

    watchForm.onsubmit = function (event) {
      event.preventDefault();
      var fields = values(watchForm, WATCH_FORM);
      var name = fields.name;
      var token = fields.git_token;
      var save = watchEditing ? client.editWatch(name, fields) : client.addWatch(name, fields);
      save.then(function () {
        return token ? client.storeSecret(lib.gitTokenName(name), token) : null;
      }).then(function () {
        say('ok', (watchEditing ? 'Saved' : 'Added') + ' watched repo ' + name + '.');
        editWatch(null);
        return refresh();
      }).catch(failed((watchEditing ? 'Saving' : 'Adding') + ' watched repo ' + name));
    };

    function removeButton(label, onConfirm) {
      var armed = false;
      var button = h('button', { type: 'button', 'class': 'btn btn-small kassi-danger' }, [label]);
      button.onclick = function () {
        if (!armed) {
          armed = true;
          button.textContent = 'Confirm remove';
          return;
        }
        onConfirm();
      };
      return button;
    }

    function renderWatches(watches) {
      watchBody.textContent = '';
      if (!watches.length) {
        watchBody.appendChild(h('tr', {}, [h('td', { colspan: '7', 'class': 'kassi-empty' }, ['No watched repos yet.'])]));
      }
      watches.forEach(function (w) {
        var toggle = h('button', { type: 'button', 'class': 'btn btn-small' }, [w.disabled ? 'Enable' : 'Disable']);
        toggle.onclick = function () {
          client.setWatchEnabled(w.name, w.disabled).then(function () {
            say('ok', (w.disabled ? 'Enabled ' : 'Disabled ') + w.name + '.');
            return refresh();
          }).catch(failed((w.disabled ? 'Enabling ' : 'Disabling ') + w.name));
        };
        var edit = h('button', { type: 'button', 'class': 'btn btn-small' }, ['Edit']);
        edit.onclick = function () { editWatch(w); };
        watchBody.appendChild(h('tr', { 'data-name': w.name }, [
          h('td', {}, [w.name]), h('td', { 'class': 'kassi-path' }, [w.repo]), h('td', {}, [w.branch]),
          h('td', {}, [w.interval ? w.interval + ' s' : '']), h('td', {}, [w.mode + (w.fix === 'true' ? ', fix' : '')]),
          h('td', {}, [h('span', { 'class': w.disabled ? 'kassi-off' : 'kassi-on' }, [w.disabled ? 'disabled' : 'enabled'])]),
          h('td', { 'class': 'kassi-row-actions' }, [edit, toggle, removeButton('Remove', function () {
            client.removeWatch(w.name).then(function () {
              return forgetUnusedGitToken(w.name, 'watch');
            }).then(function () {
              say('ok', 'Removed watched repo ' + w.name + '.');
              return refresh();
            }).catch(failed('Removing ' + w.name));
          })]),
        ]));
      });
    }

    // Repos that searches may name: [repo:<name>] stanzas, applied at once.
    var repoForm = h('form', { 'class': 'kassi-form', id: 'kassi-repo-form', novalidate: true },
      REPO_FORM.map(function (spec) { return field('kassi-repo', spec, true); }));
    repoForm.appendChild(h('div', { 'class': 'kassi-actions' }, [
      h('button', { type: 'submit', 'class': 'btn btn-primary' }, ['Save repo'])]));
    repoForm.onsubmit = function (event) {
      event.preventDefault();
      var fields = values(repoForm, REPO_FORM);
      client.writeRepo(fields.name, fields).then(function () {
        return fields.git_token ? client.storeSecret(lib.gitTokenName(fields.name), fields.git_token) : null;
      }).then(function () {
        say('ok', 'Saved repo ' + fields.name + '.');
        fill(repoForm, REPO_FORM, {});
        return refresh();
      }).catch(failed('Saving repo ' + fields.name));
    };

    function renderRepos(repos) {
      repoBody.textContent = '';
      if (!repos.length) {
        repoBody.appendChild(h('tr', {}, [h('td', { colspan: '4', 'class': 'kassi-empty' }, ['No repos yet.'])]));
      }
      repos.forEach(function (r) {
        var edit = h('button', { type: 'button', 'class': 'btn btn-small' }, ['Edit']);
        edit.onclick = function () { fill(repoForm, REPO_FORM, r); };
        repoBody.appendChild(h('tr', { 'data-name': r.name }, [
          h('td', {}, [r.name]), h('td', { 'class': 'kassi-path' }, [r.path]), h('td', {}, [r.branch]),
          h('td', { 'class': 'kassi-row-actions' }, [edit, removeButton('Remove', function () {
            client.removeRepo(r.name).then(function () {
              return forgetUnusedGitToken(r.name, 'repo');
            }).then(function () {
              say('ok', 'Removed repo ' + r.name + '.');
              return refresh();
            }).catch(failed('Removing repo ' + r.name));
          })]),
        ]));
      });
    }

    // App settings: [settings], [telemetry_splunk] and the two app secrets, saved together with "Save
    // and finish", which also points the overview's forecast at MLTK when it is installed.
    var settingsForm = h('form', { 'class': 'kassi-form kassi-settings', id: 'kassi-settings-form', novalidate: true });
    var settingSpecs = [];
    /** kassi.conf stanza -> the plain (non-secret) fields the form writes there. */
    var stanzaSpecs = {};
    SETTINGS.forEach(function (group) {
      var stanza = group.stanza || 'settings';
      stanzaSpecs[stanza] = (stanzaSpecs[stanza] || []).concat(
        group.fields.filter(function (spec) { return spec[2] !== 'secret'; }));
      settingsForm.appendChild(h('fieldset', {}, [h('legend', {}, [group.section])].concat(
        group.fields.map(function (spec) {
          var row = field('kassi-setting', spec, spec[2] === 'secret');
          if (spec[2] === 'secret') {
            row.appendChild(forgetButton(spec[0], spec[1]));
          }
          return row;
        }))));
      settingSpecs = settingSpecs.concat(group.fields);
    });
    settingsForm.appendChild(h('div', { 'class': 'kassi-actions' }, [
      h('button', { type: 'submit', 'class': 'btn btn-primary', id: 'kassi-finish' }, ['Save settings and finish setup'])]));
    settingsForm.onsubmit = function (event) {
      event.preventDefault();
      var fields = values(settingsForm, settingSpecs);
      var problems = lib.validateSettings(fields);
      if (problems.length) {
        say('error', problems.join(' '));
        return;
      }
      var of = function (stanza) {
        var out = {};
        stanzaSpecs[stanza].forEach(function (spec) { out[spec[0]] = fields[spec[0]]; });
        return out;
      };
      var secrets = SECRETS.filter(function (name) { return fields[name]; });
      client.writeSettings(of('settings')).then(function () {
        return client.writeTelemetry(of('telemetry_splunk'));
      }).then(function () {
        return secrets.reduce(function (chain, name) {
          return chain.then(function () { return client.storeSecret(name, fields[name]); });
        }, Promise.resolve());
      }).then(function () {
        return client.useForecast();
      }).then(function (forecast) {
        return client.markConfigured().then(function () { return forecast; });
      }).then(function (forecast) {
        say('ok', 'Saved. kassi is configured. p95 forecast: ' + (forecast === 'mltk'
          ? "MLTK's StateSpaceForecast." : "Splunk's predict (install the Machine Learning Toolkit for StateSpaceForecast)."));
        return refresh(true);
      }).catch(failed('Saving the settings'));
    };

    function table(headers, body) {
      return h('table', { 'class': 'table kassi-table' }, [
        h('thead', {}, [h('tr', {}, headers.map(function (t) { return h('th', {}, [t]); }))]), body]);
    }

    root.appendChild(h('section', { 'class': 'kassi-section' }, [
      h('h3', {}, ['Watched repos']),
      h('p', { 'class': 'kassi-intro' }, ['Each is a kassi_watch input: every new commit on the branch gets one A/B run against its parent.']),
      table(['Name', 'Repository', 'Branch', 'Poll', 'Mode', 'Status', ''], watchBody), watchForm]));
    root.appendChild(h('section', { 'class': 'kassi-section' }, [
      h('h3', {}, ['Repos for searches']),
      h('p', { 'class': 'kassi-intro' }, ['The repos | kassi repo=<name> diff=... may name; searches never take a path.']),
      table(['Name', 'Repository', 'Branch', ''], repoBody), repoForm]));
    root.appendChild(h('section', { 'class': 'kassi-section' }, [h('h3', {}, ['Settings']), settingsForm]));

    /** Reload the lists; ``withSettings`` also reloads the settings form (never while the user edits it). */
    function refresh(withSettings) {
      return Promise.all([client.listWatches(), client.readConf(), client.listSecretNames()]).then(function (got) {
        renderWatches(got[0]);
        var conf = got[1];
        renderRepos(lib.reposOf(conf));
        if (withSettings) {
          fill(settingsForm, settingSpecs, conf.settings || {}); // also empties the secret fields
          fill(settingsForm, stanzaSpecs.telemetry_splunk, conf.telemetry_splunk || {});
        }
        known = { watches: got[0], repos: lib.reposOf(conf), secrets: got[2] };
        SECRETS.forEach(function (name) {
          var stored = known.secrets.indexOf(name) >= 0;
          settingsForm.querySelector('[name="' + name + '"]').placeholder = stored ? 'stored (type to replace)' : 'not set';
          settingsForm.querySelector('[data-forget="' + name + '"]').hidden = !stored;
        });
      });
    }

    editWatch(null);
    refresh(true).catch(failed('Loading the settings'));
  }

  if (typeof global.define === 'function' && global.define.amd && typeof global.require === 'function') {
    global.require(['../app/kassi/kassi_setup_client', 'splunkjs/mvc/simplexml/ready!'], start);
  } else {
    start(global.KassiSetupClient);
  }
})(window);
