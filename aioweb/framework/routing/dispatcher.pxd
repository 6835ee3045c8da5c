# C declarations for dispatcher.py when Cython compiles it (see setup.py); the .py is the source.
import cython

from aioweb.framework.routing.match_info cimport route_match_info


@cython.locals(by_path=dict)
cpdef object _plain_hit(dict hits, object path, object method)
