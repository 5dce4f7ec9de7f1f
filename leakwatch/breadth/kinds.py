"""The finding kinds of the process-wide probes, registered once at import.

Kept in one place so the docs table (docs/probes.md), ``leakwatch_ignore``
validation and the JSON report agree on names and default severities.
"""

from __future__ import annotations

from ..kinds import INFO, LEAK, WARNING, register_kind

KINDS: tuple[tuple[str, str, str], ...] = (
    ("cwd", LEAK, "the current working directory changed"),
    ("sys-path", LEAK, "sys.path changed"),
    ("import-hooks", LEAK, "sys.meta_path or sys.path_hooks changed, or a fake in sys.path_importer_cache"),
    ("sys-argv", LEAK, "sys.argv changed"),
    ("std-streams", LEAK, "sys.stdin, sys.stdout or sys.stderr replaced"),
    ("builtins", LEAK, "a name added to, rebound in or deleted from builtins"),
    ("warnings", LEAK, "warnings filters or warnings.showwarning changed (and pytest did not undo it)"),
    ("logging", LEAK, "a logger's level, handlers, propagate or disabled flag, logging.disable or "
                      "the logger class changed"),
    ("thread", LEAK, "a non-daemon thread started and still running"),
    ("daemon-thread", WARNING, "a daemon thread started and still running"),
    ("child-process", LEAK, "a child process started and not waited for"),
    ("signal", LEAK, "a signal handler changed"),
    ("trace-hook", LEAK, "sys.settrace / sys.setprofile / threading.settrace left set"),
    ("excepthook", LEAK, "sys.excepthook, threading.excepthook or sys.unraisablehook replaced"),
    ("socket-timeout", LEAK, "socket.setdefaulttimeout() changed"),
    ("locale", LEAK, "the C locale changed (locale.setlocale)"),
    ("timezone", LEAK, "time.tzset() applied another time zone"),
    ("decimal", LEAK, "the decimal context changed"),
    ("recursion-limit", LEAK, "sys.setrecursionlimit() changed"),
    ("umask", LEAK, "os.umask() changed"),
    ("asyncio", LEAK, "the asyncio event loop policy or current event loop changed"),
    ("faulthandler", WARNING, "faulthandler enabled or disabled"),
    ("random-state", WARNING, "the global random generator was seeded or consumed (opt-in probe)"),
    ("file-descriptor", LEAK, "file descriptors opened and not closed (opt-in probe)"),
    ("files", LEAK, "files created or deleted in the rootdir or cwd (opt-in probe)"),
)

for _kind, _severity, _meaning in KINDS:
    register_kind(_kind, _severity, _meaning)

__all__ = ["KINDS", "INFO", "LEAK", "WARNING"]
