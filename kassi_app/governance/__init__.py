"""The governed machine: a Burr graph moved only by ``Governor.step``, every move and refusal
appended to a hash-chained, sealed ledger (see docs/governance.md).

Graph authors use ``graph.ActionSpec``/``graph.Move``/``graph.build_governed_app`` (or
``runs.open_governed_run``) and drive it with ``governor.Governor``.
"""
