"""The remedy tests' fixtures: a demo repo whose head mixes harmless and harmful hunks, a real
verdict, and a loopback model stub."""

from remedy_support import lock_verdict, mixed_repo, model_stub  # noqa: F401  (fixtures)
