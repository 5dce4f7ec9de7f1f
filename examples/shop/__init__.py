"""A tiny application with the state real suites leak through."""
