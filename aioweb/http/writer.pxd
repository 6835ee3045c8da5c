# C declarations for writer.py when Cython compiles it (see setup.py); the .py is the source.
import cython


cdef long _date_second
cdef str _date_value

@cython.locals(now=double, second=long)
cpdef str http_date_now()


cdef dict _STATUS_LINES
cdef dict _REASONS

@cython.locals(line=bytes)
cpdef bytes status_line(str version, object status, object reason=*)


cdef dict _HEADS
cdef Py_ssize_t _HEADS_MAX
cdef str _heads_date
cdef tuple _last

@cython.locals(head=bytes, key=tuple, last=tuple)
cpdef bytes plain_head(
    object status, object reason, object content_type, Py_ssize_t length, object server,
    bint keep_alive, str date
)
