"""The version of aioweb, defined once: ``pyproject.toml`` reads it (dynamic version),
``aioweb.__version__`` re-exports it and the default ``Server`` header carries it."""

__version__ = "0.1.0"
