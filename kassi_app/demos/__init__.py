"""Demo targets: services with one known fault (or none) each, written as git repos on demand."""

from kassi_app.demos.catalogue import CATALOGUE, Demo, ExpectedClass
from kassi_app.demos.repo import DemoRepo, demo_by_name, init_demo, sensitivity_repo

__all__ = ["CATALOGUE", "Demo", "DemoRepo", "ExpectedClass", "demo_by_name", "init_demo", "sensitivity_repo"]
