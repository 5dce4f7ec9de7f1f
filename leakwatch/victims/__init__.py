"""Victims: explain failures by inherited leaks, name the polluter, confirm by re-running (issue 4)."""
