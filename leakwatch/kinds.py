"""Finding kinds and severities: the catalogue every part of leakwatch registers into.

Kept apart from :mod:`leakwatch.findings` (the finding model, three dataclasses): the
options and the sub-plugins' kinds are imported by every pytest session where leakwatch is
installed, enabled or not, to add the options, and this module defines no class, so that
costs almost nothing (``tests/test_startup_imports.py``). ``leakwatch.findings``
re-exports all of it.
"""

from __future__ import annotations

LEAK = "leak"
WARNING = "warning"
INFO = "info"
SEVERITIES = (LEAK, WARNING, INFO)

#: Every finding kind, with its default severity and a one-line meaning.
KINDS: dict[str, tuple[str, str]] = {
    "mock": (LEAK, "a unittest.mock object left on watched state"),
    "reload": (LEAK, "a module reloaded or replaced in sys.modules, and the reload survives"),
    "env": (LEAK, "an os.environ key added, removed or changed"),
    "sys-modules": (LEAK, "a sys.modules entry removed, or a non-module inserted"),
    "attribute": (LEAK, "a module attribute rebound, added or deleted"),
    "class-attribute": (LEAK, "a class attribute rebound, added or deleted"),
    "instance-attribute": (LEAK, "an attribute of an object reachable from a watched module changed"),
    "container": (LEAK, "the contents of a dict, list or set reachable from a watched module changed"),
}

#: Order in reports: mocks first, then reloads, then the rest.
KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}


def register_kind(kind: str, severity: str, meaning: str) -> None:
    """Add a finding kind (probes, the tracer and third-party probes call this at import)."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    if kind not in KINDS:
        KINDS[kind] = (severity, meaning)
        KIND_ORDER[kind] = len(KIND_ORDER)


SEVERITY_ORDER = {LEAK: 0, WARNING: 1, INFO: 2}
