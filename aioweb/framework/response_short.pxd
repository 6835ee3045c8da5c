# C declarations for response_short.py when Cython compiles it (see setup.py); the .py is the
# source.  PlainState is a C type: response.py reads and writes its fields without look-ups.
import cython
from aioweb.framework.request_fields cimport RequestFields
from aioweb.http.parser cimport RequestHead
from aioweb.http.writer cimport http_date_now, plain_head


@cython.final
@cython.freelist(16)
cdef class PlainState:
    cdef public object headers, version, content_type, status, reason, server
    cdef public str date
    cdef public Py_ssize_t length
    cdef public bint sent, exposed, pending, keep_alive


cdef Py_ssize_t _JOIN_LIMIT
cdef object _UNMADE, _UNMADE_VERSION
cdef dict _UTF8_TYPES

cpdef bint start_short(
    object response, object body, object text, object status, object reason,
    object content_type, object charset,
) except -1

cdef bytes _utf8(str text)

@cython.locals(state=PlainState)
cpdef PlainState new_state(object headers, object content_type, object status, object reason)

@cython.locals(length=Py_ssize_t, keep_alive=bint, fields=RequestFields, head=RequestHead)
cpdef bytes short_head(PlainState state, object body, object request, object protocol)

@cython.locals(length=Py_ssize_t)
cpdef finish_short(PlainState state, bytes head, object body, object writer)

@cython.locals(length=Py_ssize_t)
cpdef add_fields(PlainState state)

cpdef object make_headers(object response, PlainState state)

@cython.locals(state=PlainState)
cpdef leave_short(object response)

cpdef object expose_fields(object response, PlainState state)
