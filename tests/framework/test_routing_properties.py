"""Property tests of the router: a URL built by ``url_for`` resolves to its own route, with the
same values, whatever characters the values hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aioweb import web
from aioweb.framework.routing import SystemRoute
from aioweb.tooling.test_utils import make_mocked_request

SEGMENT = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=8
).filter(lambda s: s not in (".", ".."))
# Braces are outside the default variable pattern ``[^{}/]+`` (aiohttp's documented default).
VALUE = st.text(min_size=1, max_size=12).filter(lambda s: not set(s) & {"\x00", "{", "}"})


async def noop(request):  # pragma: no cover - never called
    return web.Response()


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.lists(SEGMENT, min_size=0, max_size=3),
    value=VALUE,
    number=st.integers(0, 10**9),
    others=st.lists(st.lists(SEGMENT, min_size=1, max_size=3), max_size=20),
)
def test_url_for_round_trips_through_resolve(prefix, value, number, others):
    app = web.Application()
    for i, segments in enumerate(others):  # unrelated plain routes registered first
        app.router.add_get("/" + "/".join(segments) + f"/plain{i}", noop)
    base = "/" + "/".join(prefix) if prefix else ""
    resource = app.router.add_resource(base + r"/item/{name}/n/{num:\d+}", name="item")
    resource.add_route("GET", noop)
    url = app.router["item"].url_for(name=value, num=str(number))
    request = make_mocked_request("GET", str(url), app=app)
    match_info = app.router._resolve_path(request, request._routing_path, "GET")
    assert not isinstance(match_info.route, SystemRoute), url
    assert match_info.route.resource is resource
    assert dict(match_info) == {"name": value, "num": str(number)}


@settings(max_examples=200, deadline=None)
@given(
    segments=st.lists(SEGMENT, min_size=1, max_size=5),
    method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
)
def test_plain_routes_match_exactly_and_405_lists_methods(segments, method):
    app = web.Application()
    path = "/" + "/".join(segments)
    app.router.add_post(path, noop)
    app.router.add_get(path, noop)
    request = make_mocked_request(method, path, app=app)
    match_info = app.router._resolve_path(request, path, method)
    if method == "PUT":
        exc = match_info.http_exception
        assert exc is not None and exc.status == 405
        assert set(exc.headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
    else:
        assert not isinstance(match_info.route, SystemRoute)
    missing = make_mocked_request("GET", path + "/missing", app=app)
    info = app.router._resolve_path(missing, path + "/missing", "GET")
    assert info.http_exception is not None and info.http_exception.status == 404
