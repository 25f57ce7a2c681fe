"""Makes the app's own copies importable: every Splunk entry point in bin/ starts with
``import kassi_bootstrap`` (the pattern of Splunk's UCC ``import_declare_test``).

It puts ``lib/`` (the dependencies package.sh vendored for Splunk's Python 3.13) and the app root
(which holds the ``kassi_app`` engine) at the front of ``sys.path``, so the vendored versions win
over any library Splunk's own Python ships. Importing it twice changes nothing.
"""

import sys
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parent.parent

for _path in (str(APP_ROOT), str(APP_ROOT / "lib")):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)
