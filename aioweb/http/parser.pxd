# C declarations for parser.py when Cython compiles it (see setup.py); the .py is the source.
import cython


cdef class RequestHead:
    cdef public object method, url, version, headers, keep_alive, upgrade
    cdef public object content_length, chunked, expect, simple_path


cdef class RequestParser:
    cdef object _sink, _limits, _parser, _error, _expect, _upgrade_value, _content_length
    cdef object _data
    cdef bytes _valid_host, _carry, _tail
    cdef bint _in_head, _ignored_upgrade, _chunked, _connection_field, _idle, _in_chunked_body
    cdef bint _close_asked
    cdef Py_ssize_t _head_bytes, _url_len, _fields_size, _host_count, _synthetic, _trailers
    cdef Py_ssize_t _max_line_size, _max_field_size, _max_headers, _max_head_size
    cdef Py_ssize_t _max_chunk_extensions, _overhead
    cdef Py_ssize_t _line, _begin, _after_line, _after_body, _body_left, _search_from
    cdef list _url, _headers, _codings

    cpdef _reset_head(self)

    @cython.locals(size=Py_ssize_t, n=Py_ssize_t)
    cpdef on_header(self, bytes name, bytes value)

    cpdef on_url(self, bytes url)

    @cython.locals(url=bytes, keep_alive=bint, method=bytes, head=RequestHead)
    cpdef on_headers_complete(self)

    @cython.locals(size=Py_ssize_t)
    cpdef on_body(self, body)

    @cython.locals(begin=Py_ssize_t, end=Py_ssize_t)
    cdef _locate_line(self)

    cdef bytes _bytes(self)

    @cython.locals(line=Py_ssize_t, begin=Py_ssize_t, end=Py_ssize_t, data=bytes)
    cdef _check_line(self, Py_ssize_t method_len)
