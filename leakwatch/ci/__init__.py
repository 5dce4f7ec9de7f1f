"""CI ecosystem: xdist merge, baselines, SARIF, annotations, JUnit (issue 6)."""
