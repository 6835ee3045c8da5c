# C declarations for parser.py when Cython compiles it (see setup.py); the .py is the source.
import cython


cdef class RequestHead:
    cdef public object method, url, version, headers, keep_alive, upgrade
    cdef public object content_length, chunked, expect, simple_path


cdef class RequestParser:
    cdef object _sink, _limits, _parser, _error, _expect, _upgrade_value, _content_length
    cdef bytes _valid_host
    cdef bint _in_head, _ignored_upgrade, _chunked, _connection_field
    cdef Py_ssize_t _head_bytes, _url_len, _fields_size, _host_count, _synthetic
    cdef Py_ssize_t _max_line_size, _max_field_size, _max_headers, _max_head_size
    cdef list _url, _headers, _codings

    cpdef _reset_head(self)

    @cython.locals(size=Py_ssize_t, n=Py_ssize_t)
    cpdef on_header(self, bytes name, bytes value)

    cpdef on_url(self, bytes url)

    @cython.locals(url=bytes, keep_alive=bint)
    cpdef on_headers_complete(self)
