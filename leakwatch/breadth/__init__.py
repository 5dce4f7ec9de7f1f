"""Process-wide surfaces beyond env/sys.modules/watched modules, the probe API, restore (issue 5)."""
