"""The report tests' fixture: a private kassi home holding one real (trimmed) run."""

from report_home import run_home  # noqa: F401  (a fixture)
