"""Tooling: test utilities and the test client, the CLI, the gunicorn workers, the WebSocket
client.  ``aioweb.pytest_plugin`` belongs to this layer too but stays at its path: it is the
``pytest11`` entry point, and a second plugin object behind a re-export would register its
hooks twice.
"""
