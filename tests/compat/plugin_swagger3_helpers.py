"""``helpers.error_to_json`` for aiohttp-swagger3 0.10.0's tests (its sdist lacks the module).

Written by the plugin runner into the suite's ``tests/`` (see ``plugin_sources``); this file is
ours, rebuilt from what the tests ask of it: aiohttp-swagger3 raises ``RequestValidationFailed``
(a 400) with the JSON of its errors as the reason, so the body is ``"400: <json>"`` and the
tests compare the JSON part with a dict.
"""

import json
from typing import Any


def error_to_json(text: str) -> Any:
    """The validation errors in a 400 body written as ``"<status>: <reason>"``."""
    _status, _, reason = text.partition(": ")
    return json.loads(reason)
