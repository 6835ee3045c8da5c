"""Makes the suite's tests/ a package (its test modules import ``.helpers``); written by the runner."""
