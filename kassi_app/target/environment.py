"""The environment a target process gets: a clean one, never kassi's own.

kassi runs with secrets in its environment (``KASSI_SEAL_KEY``, HEC and Splunk tokens, model keys)
and starts code from the repo under test, which may be anyone's change. So a target sees only what
a program needs to run (PATH, HOME, user, locale, temp folder, time zone), the variables its
kassi.toml names in ``pass_env``, and its ``env`` table; nothing else of kassi's is inherited.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from kassi_app.errors import BadInput

BASE_NAMES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP")
"""Passed through when set: what programs expect to find, none of it a credential."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KASSI_OWN = re.compile(r"^(KASSI_|SPLUNK_|HEC_)|(^|_)(OPENAI|ANTHROPIC|OLLAMA)_", re.IGNORECASE)
"""kassi's own settings and secrets, Splunk/HEC credentials and model-provider keys: never passed."""


def check_pass_env(names: Iterable[object], key: str) -> tuple[str, ...]:
    """The ``pass_env`` names of a kassi.toml table, refusing odd names and kassi's own secrets."""
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name):
            raise BadInput(f"{key}: not an environment variable name: {name!r}")
        if _KASSI_OWN.search(name):
            raise BadInput(f"{key}: {name} is kassi's own (a secret or setting) and never reaches the target")
        out.append(name)
    return tuple(out)


def target_env(pass_env: Iterable[str], extra: Mapping[str, str],
               source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one target process: the base names, locale (``LC_*``) and ``pass_env``
    taken from ``source`` (kassi's environment) when set, then ``extra`` (the kassi.toml table)."""
    source = os.environ if source is None else source
    wanted = {*BASE_NAMES, *pass_env}
    env = {k: v for k, v in source.items() if (k in wanted or k.startswith("LC_")) and not _KASSI_OWN.search(k)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env
