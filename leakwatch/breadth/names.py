"""Names of the opt-in probes (``--leakwatch-probes``), apart from the probes themselves:
the options are added in every pytest run, leakwatch on or off, and must not import them."""

from __future__ import annotations

OPT_IN: tuple[str, ...] = ("random", "fds", "files")
