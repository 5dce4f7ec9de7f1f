"""A leakwatch probe for an application's settings object (see docs/probes.md).

Use it as your ``conftest.py`` (or import its hook from there), or install it as a
plugin and list it in the ``leakwatch.probes`` entry-point group instead::

    [project.entry-points."leakwatch.probes"]
    settings = "myapp.testing:settings_probe"      # a callable(config) -> probe

With ``pytest --leakwatch``, ``settings.DEBUG = True`` left by a test is reported
as an ``app-settings`` finding on that test; with ``--leakwatch-restore`` it is
put back after the test.
"""

from __future__ import annotations

from typing import Any

from leakwatch import safe
from leakwatch.changes import MISSING, Change
from leakwatch.findings import LEAK, register_kind

register_kind("app-settings", LEAK, "an application setting overridden and not put back")


class SettingsProbe:
    """Watches the attributes of the object behind ``settings`` by identity."""

    name = "app-settings"

    def __init__(self, lazy: Any) -> None:
        # Read the wrapped object without running LazySettings.__getattr__ (no user code).
        wrapper = safe.instance_dict(lazy) or {}
        self.values: dict[str, Any] = safe.instance_dict(wrapper.get("_wrapped")) or {}
        self.snapshot: dict[str, Any] = {}

    def start(self) -> None:
        self.snapshot = dict(self.values)

    def mark(self, phase_ended: str) -> None:
        return None  # changes are dated to the phase leakwatch polls in (cheap enough)

    def poll(self) -> list[Change]:
        now = dict(self.values)
        out = []
        for key in now.keys() | self.snapshot.keys():
            before, after = self.snapshot.get(key, MISSING), now.get(key, MISSING)
            if before is not after:
                out.append(Change(f"settings.{key}", "app-settings", before, after,
                                  "process", extra={"key": key}))
        self.snapshot = now
        return out

    def restore(self, change: Change, before: Any) -> None:
        """Used by --leakwatch-restore: put the setting back."""
        key = change.extra["key"]
        if before is MISSING:
            self.values.pop(key, None)
        else:
            self.values[key] = before


def pytest_leakwatch_probes(config: Any) -> list[Any]:
    from settings import settings

    return [SettingsProbe(settings)]
