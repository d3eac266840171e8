"""Demo data for ``manage.py seed_demo``: content in ``content``, the generator in ``builder``."""

from petitions.demo.builder import DEMO_PASSWORD, DemoReport, DemoSetupError, build_demo

__all__ = ["DEMO_PASSWORD", "DemoReport", "DemoSetupError", "build_demo"]
