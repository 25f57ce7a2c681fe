"""``| kassi``: the search command's entry point (default/commands.conf [kassi]).

kassi_bootstrap puts the app's lib/ (vendored dependencies) and the app root on sys.path; the
command itself is kassi_app.faces.splunk.command.
"""

import kassi_bootstrap  # noqa: F401  (must come first: it makes lib/ and kassi_app importable)

from kassi_app.faces.splunk.command import main

if __name__ == "__main__":
    main()
