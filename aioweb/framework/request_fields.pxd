# C declarations for request_fields.py when Cython compiles it (see setup.py); the .py is the source.
# RequestFields is a C type with an instance dict: BaseRequest and Request stay Python classes
# on it (users subclass them and set attributes on requests), while the per-request fields are
# C fields that __init__ stores and the short response head reads without look-ups.
from aioweb.http.parser cimport RequestHead


cdef class RequestFields:
    cdef dict __dict__
    cdef public RequestHead _head
    cdef public dict _cache
    cdef public object _method, _payload, _protocol, _app, _match_info, _prepare_hook
    cdef public object _state, _scheme, _host, _remote, _loop, _task, _writer
    cdef public object _read_bytes, _post, _rel_url, _client_max_size, _client_max_fields
