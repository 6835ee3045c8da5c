"""A pytest plugin for the plugin-suite runs on aioweb: the opt-in, before anything else.

Loaded with ``-p plugin_optin``, which pytest imports before the entry-point plugins and before
any conftest or test module, so ``aiohttp.web`` is aioweb's for the whole run.
"""

from aioweb.integrations.aiohttp_compat import enable

enable()
