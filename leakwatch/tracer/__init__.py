"""The tracer: origins (file:line) and tracer-only findings (issue 3)."""
