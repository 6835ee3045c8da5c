"""``aioweb.multipart``: the public path of :mod:`aioweb.framework.multipart` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.framework.multipart import (
    BodyPart,
    BodyPartReader,
    MultipartError,
    MultipartReader,
    MultipartWriter,
    PayloadTooLarge,
    content_disposition_header,
)
from aioweb.framework.multipart_form import read_form

__all__ = [
    "BodyPart",
    "BodyPartReader",
    "content_disposition_header",
    "MultipartError",
    "MultipartReader",
    "MultipartWriter",
    "PayloadTooLarge",
    "read_form",
]
