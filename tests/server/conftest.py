"""Process fixtures (``spawn``, ``module_spawn``) for the tests here that start real servers.

They are defined once in ``tests/deploy_fixtures.py``; importing them here makes pytest offer them
to this folder's tests only.
"""

from deploy_fixtures import module_spawn, spawn

__all__ = ["module_spawn", "spawn"]
