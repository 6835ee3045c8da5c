# C declarations for match_info.py when Cython compiles it (see setup.py); the .py is the source.
import cython


cdef class UrlMappingMatchInfo(dict):
    cdef public object _route, _current_app
    cdef public list _apps
    cdef public bint _frozen

    cpdef list _enter_app(self, object app)


@cython.locals(match_info=UrlMappingMatchInfo)
cpdef UrlMappingMatchInfo route_match_info(object route, object match_dict=*)
