"""The framework layer: application, routing, requests, responses, exceptions, middlewares,
views, WebSocket responses, multipart, running.

It exports nothing itself: the public names are gathered by :mod:`aioweb.namespace` (and so
``aioweb`` and ``aioweb.web``), which keeps this package free of the clash between a module and
an exported name of the same spelling (``static``).  It imports the wire (``aioweb.http``) and
server (``aioweb.server``) layers, never integrations, tooling or the public face.
"""
