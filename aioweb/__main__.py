"""``python -m aioweb module:factory --host H --port P``."""

from aioweb.tooling.cli import main

main()
