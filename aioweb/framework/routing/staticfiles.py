"""``StaticResource``: the resource ``router.add_static(prefix, directory)`` creates.

Every path under ``prefix`` maps to a file under ``directory``, served by ``FileResponse``
(validators, conditionals, ranges, pre-compressed siblings, sendfile).

No request, however it is spelled, reaches a file outside ``directory``:

* The router hands us the path decoded except for ``%2F`` and ``%25``; the tail after the
  prefix is decoded once more here, so an encoded slash *is* a slash and ``%2e%2e`` *is*
  ``..``. Whatever the encoding, the segments are then checked as plain text.
* A ``..`` segment, a backslash (a separator on Windows, a trap for proxies elsewhere) or a
  NUL byte anywhere in the path is refused with 404 before the file system is touched: such a
  name does not exist under the prefix. 404 (aiohttp's answer for a path leaving the root)
  rather than 403 makes every refused spelling look like a missing file, and since the answer
  is given before any file is looked at it cannot depend on what exists.
* With ``follow_symlinks=False`` (the default) every file opened must lie inside the real
  ``directory``: the file is opened, then the kernel is asked where the open descriptor
  lives, so no symlink swapped between a check and the open can slip through (see
  ``aioweb.framework.containment``). Symlinks that stay inside are followed. Anything outside gives
  404, as if it were not there, with the same status, body and headers whether the target
  out there exists, is unreadable or is missing (no existence oracle). "Inside" compares
  whole path components: ``public-private/`` next to ``public/`` is outside.
* The same holds for the pre-compressed siblings ``FileResponse`` picks (``x.js.br``,
  ``.zst``, ``.gz``): a sibling that is, or is reached through, a symlink leaving the root is
  treated as absent and the plain file is served (aiohttp's CVE-2024-42367).
* With ``follow_symlinks=True`` symlinks (siblings included) may point anywhere, as in
  aiohttp, but the requested path itself must still stay inside.
* A directory gives 403 unless ``show_index=True``; index pages escape every name (HTML and
  URL), so a file called ``<script>.txt`` is shown, not run. A socket, FIFO or device inside
  the root is 403, as in aiohttp: it exists, but it is not a file to serve.

``url_for(filename=..., append_version=True)`` adds ``?v=<sha256 of the content>``, cached
per file until its mtime or size changes, so long cache lifetimes stay safe.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import os
import posixpath
import re
import stat
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes

from yarl import URL

from aioweb.framework.containment import open_within
from aioweb.framework.exceptions import HTTPForbidden, HTTPNotFound
from aioweb.framework.fileresponse import FileResponse
from aioweb.framework.response import Response, StreamResponse
from aioweb.framework.routing.match_info import UrlMappingMatchInfo
from aioweb.framework.routing.resources import PrefixResource
from aioweb.framework.routing.routes import AbstractRoute, ResourceRoute

if TYPE_CHECKING:
    from aioweb.framework.request import Request

__all__ = ["StaticResource"]

_VERSION_KEY = "v"
#: What stays unencoded in an index link: RFC 3986 path characters (pchar and "/").
_PATH_SAFE = "/!$&'()*+,;=:@"
#: A ``%`` that does not start a percent-escape.
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class StaticResource(PrefixResource):
    """Serve a directory tree under a URL prefix (aiohttp's ``StaticResource``)."""

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: Callable[[Request], Awaitable[Any]] | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        super().__init__(prefix, name=name)
        try:
            resolved = Path(directory).expanduser().resolve(strict=True)
        except FileNotFoundError as exc:
            raise ValueError(f"'{directory}' does not exist") from exc
        if not resolved.is_dir():
            raise ValueError(f"'{directory}' is not a directory")
        self._directory = resolved
        self._root = str(resolved)
        self._chunk_size = chunk_size
        self._show_index = show_index
        self._follow_symlinks = follow_symlinks
        self._append_version = append_version
        self._expect_handler = expect_handler
        self._routes: dict[str, ResourceRoute] = {
            "GET": ResourceRoute("GET", self._handle, expect_handler=expect_handler, resource=self),
            "HEAD": ResourceRoute(
                "HEAD", self._handle, expect_handler=expect_handler, resource=self
            ),
        }
        self._versions: dict[str, tuple[int, int, str]] = {}

    # --- the resource interface -------------------------------------------------------------

    def url_for(  # type: ignore[override]
        self, *, filename: str | os.PathLike[str], append_version: bool | None = None
    ) -> URL:
        if append_version is None:
            append_version = self._append_version
        name = os.fspath(filename)
        if isinstance(filename, Path):
            name = filename.as_posix()
        name = name.lstrip("/")
        url = URL.build(path=f"{self._url_prefix()}/{quote(name, safe='/')}", encoded=True)
        if append_version:
            version = self._version_of(name)
            if version is not None:
                url = url.with_query({_VERSION_KEY: version})
        return url

    def _url_prefix(self) -> str:
        """The prefix as it appears in a URL: percent-encoded, its own escapes kept.

        The prefix is given in the decoded form requests are matched in, except that an
        escape written in it (``%2F``: a slash inside a segment) is meant as that escape, as
        aiohttp reads it; a ``%`` that starts no escape is a literal percent sign.
        """
        prefix = _LONE_PERCENT.sub("%25", self._prefix)
        return quote(prefix, safe=_PATH_SAFE + "%")

    def _version_of(self, name: str) -> str | None:
        """A content hash for cache busting; None when the file cannot be read safely."""
        try:
            fd, st, path = self._open(name)
        except (HTTPForbidden, HTTPNotFound):
            return None
        with os.fdopen(fd, "rb") as f:  # the file checked is the file hashed
            if not stat.S_ISREG(st.st_mode):
                return None
            cached = self._versions.get(path)
            if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
                return cached[2]
            digest = hashlib.sha256()
            try:
                while block := f.read(1 << 20):
                    digest.update(block)
            except OSError:
                return None
        version = base64.urlsafe_b64encode(digest.digest()).decode("ascii")
        self._versions[path] = (st.st_mtime_ns, st.st_size, version)
        return version

    def get_info(self) -> dict[str, Any]:
        return {
            "directory": self._directory,
            "prefix": self._prefix,
            "routes": self._routes,
        }

    def set_options_route(self, handler: Any) -> None:
        """Answer OPTIONS under the prefix too (for CORS preflight, as in aiohttp)."""
        if "OPTIONS" in self._routes:
            raise RuntimeError("OPTIONS route was set already")
        self._routes["OPTIONS"] = ResourceRoute(
            "OPTIONS", handler, expect_handler=self._expect_handler, resource=self
        )

    def _resolve(
        self, request: Request, path: str, method: str
    ) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        if not self._under_prefix(path):
            return None, set()
        # A path whose dot segments climb above the prefix is not this resource's at all (as
        # in aiohttp): it does not match, so not even the allowed methods say the resource
        # is there. Dot segments that stay below are refused later, in _candidate (404).
        if "/.." in path and not self._under_prefix(posixpath.normpath(path)):
            return None, set()
        route = self._routes.get(method)
        if route is None:
            return None, set(self._routes)
        # The router keeps %2F and %25 encoded; decode them now (see the module docstring).
        tail = path[len(self._prefix) + 1 :]
        if "%" in tail:
            tail = unquote_to_bytes(tail).decode("utf-8", "surrogateescape")
        return UrlMappingMatchInfo({"filename": tail}, route), set(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    def __repr__(self) -> str:
        name = f"'{self.name}'" if self.name is not None else ""
        return f"<StaticResource {name} {self._prefix} -> {self._directory!r}>"

    # --- serving ----------------------------------------------------------------------------

    def _candidate(self, tail: str) -> str:
        """The path a URL tail names under the root, not resolved; 404 for a spelling that
        tries to climb out (``..``, a backslash, a NUL), before the file system is touched."""
        if "\x00" in tail or "\\" in tail:
            raise HTTPNotFound()
        parts = [p for p in tail.split("/") if p and p != "."]
        if ".." in parts:
            raise HTTPNotFound()
        return os.path.join(self._root, *parts)

    def _open(self, tail: str) -> tuple[int, os.stat_result, str]:
        """Open what a URL tail names: (descriptor, fstat, path to serve), or 403/404.

        With ``follow_symlinks=False`` the opened file must lie inside the root and the path
        returned is its real path (pre-compressed siblings are looked up beside it, as in
        aiohttp); anything outside is 404 however it fails (``OutsideRoot`` is a
        ``FileNotFoundError``), so only files inside can give 403.
        """
        path = self._candidate(tail)
        try:
            return open_within(path, None if self._follow_symlinks else self._root)
        except PermissionError:
            raise HTTPForbidden() from None
        except OSError as exc:
            # ENXIO: a socket (or a device without a driver) that cannot be opened. It is
            # inside the root (outside failures arrive as OutsideRoot, errno None), so it
            # is the same 403 as a FIFO or a device that opens.
            if exc.errno == errno.ENXIO:
                raise HTTPForbidden() from None
            raise HTTPNotFound() from None  # missing, outside, a symlink loop, a long name

    async def _handle(self, request: Request) -> StreamResponse:
        tail = request.match_info["filename"]
        fd, st, path = self._open(tail)
        try:
            if stat.S_ISDIR(st.st_mode):
                if self._show_index:
                    return self._index(fd, path, tail)
                raise HTTPForbidden()
            if not stat.S_ISREG(st.st_mode):  # a FIFO, a device, a socket
                raise HTTPForbidden()
        finally:
            os.close(fd)
        # FileResponse opens the file again (and its siblings) under the same rule: a handler
        # must not hand a descriptor to a response that a middleware may never send.
        response = FileResponse(path, chunk_size=self._chunk_size)
        if self._follow_symlinks:
            response._follow_symlinks = True
        else:
            response._root = self._root
        return response

    def _index(self, fd: int, path: str, tail: str) -> Response:
        """An HTML listing of the directory open as ``fd`` (the one checked, not its path).

        The layout is aiohttp's, byte for byte (clients and tests compare it): the title is
        the directory relative to the static root (``/.`` for the root itself), each entry
        links to its URL under the prefix and directories are labelled with a trailing
        slash. Names are escaped twice over: percent-encoded in the link, HTML-escaped in
        both the link and the label.
        """
        try:
            names = sorted(os.listdir(fd if os.listdir in os.supports_fd else path))
        except OSError:
            raise HTTPForbidden() from None
        rel = "/".join(p for p in tail.split("/") if p and p != ".")
        base = f"{self._url_prefix()}/"
        if rel:
            base += quote(os.fsencode(rel), safe=_PATH_SAFE) + "/"
        title = html.escape("/" + _display(rel or "."))
        items = []
        for name in names:
            is_dir = self._entry_is_dir(os.path.join(path, name))
            href = base + quote(os.fsencode(name), safe=_PATH_SAFE)
            label = html.escape(_display(name)) + ("/" if is_dir else "")
            items.append(f'<li><a href="{html.escape(href)}">{label}</a></li>')
        listing = "\n".join(items)
        body = (
            f"<html>\n<head>\n<title>Index of {title}</title>\n</head>\n<body>\n"
            f"<h1>Index of {title}</h1>\n<ul>\n{listing}\n</ul>\n</body>\n</html>"
        )
        return Response(text=body, content_type="text/html")

    def _entry_is_dir(self, path: str) -> bool:
        """Whether an index entry is listed as a directory (with a trailing slash).

        A symlink counts as a directory only if it leads to one the static rule lets us
        serve: the listing must not reveal what an outside link points at, nor whether it
        points at anything.
        """
        try:
            st = os.lstat(path)
        except OSError:
            return False
        if not stat.S_ISLNK(st.st_mode):
            return stat.S_ISDIR(st.st_mode)
        root = None if self._follow_symlinks else self._root
        try:
            fd, st, _ = open_within(path, root, place_failures=False)
        except OSError:
            return False
        os.close(fd)
        return stat.S_ISDIR(st.st_mode)


def _display(name: str) -> str:
    """A file name as text, whatever bytes it holds (undecodable bytes become U+FFFD)."""
    return os.fsencode(name).decode("utf-8", "replace")
