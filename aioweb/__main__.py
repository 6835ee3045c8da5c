"""``python -m aioweb module:factory --host H --port P``."""

from .cli import main

main()
