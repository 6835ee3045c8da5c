# C declarations for resources.py when Cython compiles it (see setup.py); the .py is the source.
from aioweb.framework.routing.match_info cimport route_match_info
