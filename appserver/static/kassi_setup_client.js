/*
 * The setup page's REST client: every call the kassi setup page makes to splunkd, and nothing
 * that touches the DOM, so node's test runner can drive it against a stub of splunkd.
 *
 * Hand-written rather than splunkjs' SDK: the page needs a handful of endpoints, and splunkjs' Simple XML
 * modules exist only inside Splunk Web, which would make this file untestable outside it.
 *
 * Calls go through Splunk Web's proxy (<prefix>/<locale>/splunkd/__raw/servicesNS/nobody/kassi/...)
 * with output_mode=json. Every write carries the X-Splunk-Form-Key header (Splunk Web's CSRF form
 * key). Secrets only ever travel in the body of storage/passwords calls.
 *
 * UMD: loaded by RequireJS inside Splunk Web (define), by require() in node, or as a plain script.
 */
(function (root, factory) {
  'use strict';
  if (typeof define === 'function' && define.amd) {
    define([], factory);
  } else if (typeof module === 'object' && module.exports) {
    module.exports = factory();
  } else {
    root.KassiSetupClient = factory();
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var APP = 'kassi';
  var REALM = 'kassi';
  var WATCH_INPUT = 'kassi_watch';
  /** The kassi_watch arguments the page edits (README/inputs.conf.spec of the input). */
  var WATCH_FIELDS = ['repo', 'branch', 'interval', 'mode', 'duration', 'fix'];
  /** kassi.conf [telemetry_splunk] keys the page edits (README/kassi.conf.spec; the rest keep defaults). */
  var TELEMETRY_FIELDS = ['index', 'sourcetype', 'dest', 'duration_field', 'duration_unit'];
  var TELEMETRY_STANZA = 'telemetry_splunk';
  /** The Machine Learning Toolkit's app id, and the overview's forecast macro (default/macros.conf). */
  var MLTK_APP = 'Splunk_ML_Toolkit';
  var FORECAST_MACRO = 'kassi_p95_forecast';
  /** Input and repo names: they end up in stanza names and REST paths. */
  var NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
  /** Keys splunkd adds to an entity's content that are not settings. */
  var META_KEY_RE = /^(eai:|disabled$)/;

  /** A failed splunkd call: the HTTP status and splunkd's own message (messages[0].text). */
  function SplunkdError(status, message, method, path) {
    this.name = 'SplunkdError';
    this.status = status;
    this.method = method;
    this.path = path;
    this.message = message;
  }
  SplunkdError.prototype = Object.create(Error.prototype);
  SplunkdError.prototype.constructor = SplunkdError;

  /** Splunk Web's CSRF form key from its cookie; prefers the cookie of ``port`` when several exist. */
  function csrfTokenFromCookie(cookieString, port) {
    var found = {};
    String(cookieString || '').split(';').forEach(function (part) {
      var match = /^\s*splunkweb_csrf_token_(\d+)=(.*)$/.exec(part);
      if (match) {
        found[match[1]] = decodeURIComponent(match[2].trim());
      }
    });
    if (port && Object.prototype.hasOwnProperty.call(found, String(port))) {
      return found[String(port)];
    }
    var ports = Object.keys(found);
    return ports.length === 1 ? found[ports[0]] : null;
  }

  /**
   * The proxy URL of the app's namespace for a Splunk Web page path such as
   * "/en-US/app/kassi/kassi_setup" (or "/splunk/de-DE/app/..." behind a root endpoint).
   */
  function baseUrlFromPagePath(pathname) {
    var match = /^(.*?\/[a-z]{2}-[A-Z]{2})\/app\//.exec(String(pathname));
    var prefix = match ? match[1] : '/en-US';
    return prefix + '/splunkd/__raw/servicesNS/nobody/' + APP;
  }

  function checkName(kind, name) {
    if (!NAME_RE.test(String(name))) {
      throw new Error(kind + ' name "' + name + '" must be letters, digits, "_" or "-" (at most 64)');
    }
  }

  /** A storage/passwords entity name: realm:name: with ":" in either part escaped as splunkd does. */
  function passwordEntity(name) {
    var escape = function (s) { return String(s).replace(/\\/g, '\\\\').replace(/:/g, '\\:'); };
    return escape(REALM) + ':' + escape(name) + ':';
  }

  /** Only settings: splunkd's eai:* bookkeeping and the disabled flag dropped. */
  function settingsOf(content) {
    var out = {};
    Object.keys(content || {}).forEach(function (key) {
      if (!META_KEY_RE.test(key)) {
        out[key] = content[key];
      }
    });
    return out;
  }

  /**
   * Form fields. Conf keys keep "" (that is how a setting is cleared); ``dropEmpty`` leaves empty
   * fields out, for modular input arguments, which the input's validation would see as given.
   */
  function formBody(fields, dropEmpty) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (key) {
      var value = fields[key] === undefined || fields[key] === null ? '' : fields[key];
      if (!(dropEmpty && value === '')) {
        body.append(key, String(value));
      }
    });
    return body;
  }

  function pick(fields, keys) {
    var out = {};
    keys.forEach(function (key) {
      if (Object.prototype.hasOwnProperty.call(fields, key)) {
        out[key] = fields[key];
      }
    });
    return out;
  }

  /** The storage/passwords name of a repo's git credential (app_settings.git_token_name in Python). */
  function gitTokenName(repo) {
    checkName('repo', repo);
    return 'git_token.' + repo;
  }

  /** The [repo:<name>] stanzas of a read kassi.conf: [{name, path, branch}], by name. */
  function reposOf(conf) {
    return Object.keys(conf).filter(function (stanza) {
      return stanza.indexOf('repo:') === 0;
    }).sort().map(function (stanza) {
      return { name: stanza.slice(5), path: conf[stanza].path || '', branch: conf[stanza].branch || '' };
    });
  }

  var WHOLE = ['max_concurrent_runs', 'low_vus', 'high_vus', 'rounds'];
  var SECONDS = ['low_duration_s', 'high_duration_s'];
  var URLS = ['model_endpoint', 'hec_url'];
  var BACKENDS = ['none', 'ollama', 'openai', 'anthropic'];

  /**
   * What is wrong with [settings] and [telemetry_splunk] values (strings, as a form gives them), as
   * sentences; [] when nothing. The same rules as README/kassi.conf.spec and kassi_app/faces/splunk/app_settings.py.
   */
  function validateSettings(fields) {
    var problems = [];
    var given = function (key) { return fields[key] !== undefined && fields[key] !== ''; };
    WHOLE.forEach(function (key) {
      if (given(key) && !/^[1-9][0-9]*$/.test(fields[key])) {
        problems.push(key + ' must be a whole number of at least 1.');
      }
    });
    SECONDS.forEach(function (key) {
      if (given(key) && !(Number(fields[key]) >= 1)) {
        problems.push(key + ' must be a number of seconds, at least 1.');
      }
    });
    URLS.forEach(function (key) {
      if (given(key) && !/^https?:\/\/[^\s/?#]+[^\s]*$/.test(fields[key])) {
        problems.push(key + ' must be an http:// or https:// URL.');
      }
    });
    if (given('model_backend') && BACKENDS.indexOf(fields.model_backend) < 0) {
      problems.push('model_backend must be one of ' + BACKENDS.join(', ') + '.');
    }
    // [telemetry_splunk]: names Splunk takes unquoted, so none can carry SPL (telemetry/splunk_settings.py).
    var names = { index: /^[a-z0-9_][a-z0-9_-]*$/, sourcetype: /^[A-Za-z0-9_][A-Za-z0-9_.:\/-]*$/,
      duration_field: /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/ };
    Object.keys(names).forEach(function (key) {
      if (given(key) && !names[key].test(fields[key])) {
        problems.push(key + ' "' + fields[key] + '" may hold only letters, digits and _ - ' +
          (key === 'index' ? '(lower case)' : key === 'sourcetype' ? '. : /' : '. :') + '.');
      }
    });
    if (given('duration_unit') && ['ms', 's', 'us'].indexOf(fields.duration_unit) < 0) {
      problems.push('duration_unit must be one of ms, s, us.');
    }
    String(fields.allowed_hosts || '').split(',').forEach(function (host) {
      if (host.trim() && !/^[A-Za-z0-9._:\[\]-]+$/.test(host.trim())) {
        problems.push('allowed_hosts: "' + host.trim() + '" is not a host name or address (no scheme, port or path).');
      }
    });
    return problems;
  }

  function isTrue(value) {
    return value === true || value === 1 || /^(1|true|t|yes|y|on)$/i.test(String(value));
  }

  /**
   * The client. ``options.fetch``: a fetch implementation (the browser's, or node's);
   * ``options.baseUrl``: the proxy URL of servicesNS/nobody/kassi (see baseUrlFromPagePath);
   * ``options.csrfToken``: Splunk Web's form key (see csrfTokenFromCookie).
   */
  function createClient(options) {
    var fetchImpl = options.fetch;
    var baseUrl = String(options.baseUrl).replace(/\/+$/, '');
    var csrfToken = options.csrfToken;
    if (typeof fetchImpl !== 'function') {
      throw new Error('createClient needs a fetch function');
    }
    if (!csrfToken) {
      throw new Error('no Splunk Web CSRF token (cookie splunkweb_csrf_token_<port>): log in to Splunk Web again');
    }

    /** ``query``: an object, or [key, value] pairs when a key repeats. */
    function url(path, query) {
      var params = new URLSearchParams(query || []);
      params.set('output_mode', 'json');
      return baseUrl + '/' + path + '?' + params.toString();
    }

    function request(method, path, options) {
      var opts = options || {};
      var headers = { 'X-Requested-With': 'XMLHttpRequest' };
      var init = { method: method, headers: headers, credentials: 'same-origin' };
      if (method !== 'GET') {
        headers['X-Splunk-Form-Key'] = csrfToken;
      }
      if (opts.body) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
        init.body = opts.body.toString();
      }
      return fetchImpl(url(path, opts.query), init).then(function (response) {
        return response.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (ignored) {
            data = null; // Splunk Web answers some failures (e.g. an expired session) with HTML.
          }
          if (!response.ok) {
            var message = data && data.messages && data.messages[0] && data.messages[0].text;
            throw new SplunkdError(response.status,
              message || ('HTTP ' + response.status + ' ' + (response.statusText || '')).trim(), method, path);
          }
          return data;
        });
      });
    }

    function entries(data) {
      return (data && data.entry) || [];
    }

    var inputsPath = 'data/inputs/' + WATCH_INPUT;
    function inputPath(name) {
      checkName('input', name);
      return inputsPath + '/' + encodeURIComponent(name);
    }
    function stanzaPath(stanza) {
      return 'configs/conf-kassi/' + encodeURIComponent(stanza);
    }
    function repoStanza(name) {
      checkName('repo', name);
      return 'repo:' + name;
    }

    /** Create or update a kassi.conf stanza: edit it, and create it when splunkd has none (404). */
    function writeStanza(stanza, fields) {
      return request('POST', stanzaPath(stanza), { body: formBody(fields) }).catch(function (error) {
        if (!(error instanceof SplunkdError) || error.status !== 404) {
          throw error;
        }
        var create = formBody(fields);
        create.set('name', stanza);
        return request('POST', 'configs/conf-kassi', { body: create });
      });
    }

    var api = {
      /** The kassi_watch inputs: [{name, disabled, repo, branch, interval, mode, duration, fix}]. */
      listWatches: function () {
        return request('GET', inputsPath, { query: { count: '0' } }).then(function (data) {
          return entries(data).map(function (entry) {
            var content = entry.content || {};
            var watch = { name: entry.name, disabled: isTrue(content.disabled) };
            WATCH_FIELDS.forEach(function (key) {
              watch[key] = content[key] === undefined || content[key] === null ? '' : String(content[key]);
            });
            return watch;
          });
        });
      },
      addWatch: function (name, fields) {
        checkName('input', name);
        var body = formBody(pick(fields, WATCH_FIELDS), true);
        body.set('name', name);
        return request('POST', inputsPath, { body: body });
      },
      editWatch: function (name, fields) {
        return request('POST', inputPath(name), { body: formBody(pick(fields, WATCH_FIELDS), true) });
      },
      setWatchEnabled: function (name, enabled) {
        return request('POST', inputPath(name) + '/' + (enabled ? 'enable' : 'disable'));
      },
      removeWatch: function (name) {
        return request('DELETE', inputPath(name));
      },

      /** kassi.conf as {stanza: {key: value}}, merged by splunkd over default/ and local/. */
      readConf: function () {
        return request('GET', 'configs/conf-kassi', { query: { count: '0' } }).then(function (data) {
          var conf = {};
          entries(data).forEach(function (entry) {
            conf[entry.name] = settingsOf(entry.content);
          });
          return conf;
        });
      },
      writeSettings: function (fields) {
        return writeStanza('settings', fields);
      },
      /** The [repo:<name>] stanzas: [{name, path, branch}]. */
      listRepos: function () {
        return api.readConf().then(reposOf);
      },
      writeRepo: function (name, fields) {
        return writeStanza(repoStanza(name), pick(fields, ['path', 'branch']));
      },
      removeRepo: function (name) {
        return request('DELETE', stanzaPath(repoStanza(name)));
      },

      /** Names of the secrets stored in realm kassi; never their values (f= keeps them on the server). */
      listSecretNames: function () {
        var query = [['count', '0'], ['search', 'realm=' + REALM], ['f', 'realm'], ['f', 'username']];
        return request('GET', 'storage/passwords', { query: query })
          .then(function (data) {
            return entries(data).filter(function (entry) {
              return (entry.content || {}).realm === REALM;
            }).map(function (entry) {
              return entry.content.username;
            });
          });
      },
      /** Store a secret: create it; when it exists (409), update the entity realm:name:. */
      storeSecret: function (name, secret) {
        if (!name || !secret) {
          return Promise.reject(new Error('a secret needs a name and a value'));
        }
        var create = new URLSearchParams({ name: name, password: secret, realm: REALM });
        return request('POST', 'storage/passwords', { body: create }).catch(function (error) {
          if (!(error instanceof SplunkdError) || error.status !== 409) {
            throw error;
          }
          var update = new URLSearchParams({ password: secret });
          return request('POST', 'storage/passwords/' + encodeURIComponent(passwordEntity(name)), { body: update });
        });
      },
      removeSecret: function (name) {
        return request('DELETE', 'storage/passwords/' + encodeURIComponent(passwordEntity(name)));
      },

      /** [telemetry_splunk]: where | kassi url=... telemetry=splunk finds the service's access log. */
      writeTelemetry: function (fields) {
        return writeStanza(TELEMETRY_STANZA, pick(fields, TELEMETRY_FIELDS));
      },

      /**
       * Point the overview's forecast macro at MLTK's StateSpaceForecast when the Machine Learning
       * Toolkit is installed and enabled (apps/local/Splunk_ML_Toolkit), else at the plain trend
       * (Splunk's predict): configs/conf-macros writes local/macros.conf. Resolves to 'mltk' or 'trend'.
       */
      useForecast: function () {
        return request('GET', 'apps/local/' + MLTK_APP).then(function (data) {
          var app = entries(data)[0];
          return Boolean(app) && !isTrue((app.content || {}).disabled);
        }, function (error) {
          if (error instanceof SplunkdError && error.status === 404) {
            return false; // not installed
          }
          throw error;
        }).then(function (mltk) {
          var kind = mltk ? 'mltk' : 'trend';
          var body = new URLSearchParams({ definition: '`' + FORECAST_MACRO + '_' + kind + '($endpoint$)`' });
          return request('POST', 'configs/conf-macros/' + encodeURIComponent(FORECAST_MACRO + '(1)'), { body: body })
            .then(function () { return kind; });
        });
      },

      /** Mark the app configured, so Splunk Web stops sending users to the setup page. */
      markConfigured: function () {
        return request('POST', 'apps/local/' + APP, { body: new URLSearchParams({ configured: 'true' }) });
      },
    };
    // Every method returns a promise, also when it refuses its arguments before any request.
    Object.keys(api).forEach(function (key) {
      var method = api[key];
      api[key] = function () {
        var args = arguments;
        return new Promise(function (resolve) { resolve(method.apply(api, args)); });
      };
    });
    return api;
  }

  return {
    createClient: createClient,
    reposOf: reposOf,
    gitTokenName: gitTokenName,
    validateSettings: validateSettings,
    csrfTokenFromCookie: csrfTokenFromCookie,
    baseUrlFromPagePath: baseUrlFromPagePath,
    SplunkdError: SplunkdError,
    WATCH_FIELDS: WATCH_FIELDS,
    TELEMETRY_FIELDS: TELEMETRY_FIELDS,
    REALM: REALM,
  };
});
