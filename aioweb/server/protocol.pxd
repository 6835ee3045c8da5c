# C declarations for protocol.py when Cython compiles it (see setup.py); the .py is the source.
from ..http.parser cimport RequestHead, RequestParser


cdef class HttpProtocol:
    cdef public object _server, _loop, _settings, transport, _queue, _receiving
    cdef public object _out, _drain_waiter, _read_pauses, _unparsed
    cdef public object _carrier, _carrier_waiter, _carrier_pending, _linger_left
    cdef public object _upgrade_buffer, _upgrade_sink, _close_callbacks, current_request
    cdef public object server_header
    cdef object _handler, _request_factory, _access_logger, _peername
    cdef public RequestParser _parser
    cdef public bint _busy, _closing, _closed, _wrote_for_request, _write_paused
    cdef public bint _carrier_busy, _upgraded, _paused_since_check
    cdef public Py_ssize_t _out_size, request_count, _body_left, _max_pipelined
    cdef public Py_ssize_t _body_mark, _upgrade_body_left
    cdef public int _deadline_state
    cdef public double _deadline, _now, _keepalive_timeout, _opened
    cdef public double _body_start, _body_mark_time, _body_silent, _body_window
    cdef object __weakref__

    cpdef _set_deadline(self, int state, double timeout, double now=*)
    cpdef on_head(self, RequestHead head)
    cdef _end_exchange(self, bint keep_alive, object payload)
