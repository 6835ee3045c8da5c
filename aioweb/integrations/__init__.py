"""Integrations: GridFS, sessions, Jinja2 templates, server-sent events, proxy headers.

Each imports only the framework and the layers below it (never ``aioweb``, ``aioweb.web`` or
``aioweb.namespace``) and may need an optional dependency; none imports another.  Users reach
them by their historical paths (``aioweb.gridfs``, ``aioweb.session``...), kept as re-exports.
"""
