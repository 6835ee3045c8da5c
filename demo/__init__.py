"""The aioweb demo application (``scripts/demo.sh``)."""
