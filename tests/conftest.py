"""Shared test configuration: the FakeTaskade fixtures are enabled for every test."""

pytest_plugins = ("taskade_async.testing.pytest_plugin",)
