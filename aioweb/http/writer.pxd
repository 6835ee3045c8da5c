# C declarations for writer.py when Cython compiles it (see setup.py); the .py is the source.
import cython


cdef class _DateCache:
    cdef long _second
    cdef str _value


cdef dict _STATUS_LINES
cdef dict _REASONS

@cython.locals(line=bytes)
cpdef bytes status_line(str version, object status, object reason=*)
