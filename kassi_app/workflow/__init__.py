"""kassi's governed workflow: the Burr graph of phases (``graph``), the run session (``session``),
the autopilot (``autopilot``) and the in-process runner (``runner``).

Import the submodules directly; this package stays light so the CLI starts fast.
"""
