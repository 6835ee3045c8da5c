"""The wire layer: bytes in, events out; events in, bytes out.

Nothing here knows about applications, routes or the event loop's transports.
"""
