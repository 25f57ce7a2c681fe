"""Splunk entry point of the kassi_watch modular input (default/inputs.conf, README/inputs.conf.spec)."""

import kassi_bootstrap  # noqa: F401  (puts the app's lib/ and root on sys.path)

from kassi_app.faces.splunk.watch_input import main

if __name__ == "__main__":
    main()
