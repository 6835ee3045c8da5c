"""``aioweb.multipart``: the public path of :mod:`aioweb.framework.multipart` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.framework.multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPart,
    BodyPartReader,
    MultipartError,
    MultipartReader,
    MultipartWriter,
    PartHeaderTooLong,
    PayloadTooLarge,
    TooManyPartHeaders,
    content_disposition_filename,
    content_disposition_header,
    parse_content_disposition,
)
from aioweb.framework.multipart_form import read_form

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPart",
    "BodyPartReader",
    "content_disposition_header",
    "MultipartError",
    "MultipartReader",
    "MultipartWriter",
    "PartHeaderTooLong",
    "PayloadTooLarge",
    "TooManyPartHeaders",
    "content_disposition_filename",
    "parse_content_disposition",
    "read_form",
]
