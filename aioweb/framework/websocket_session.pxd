# C declarations for websocket_session.py when Cython compiles it (see setup.py); the .py is
# the source. Typed attributes turn the per-message reads and writes of the session's state
# (feed_data, __anext__, send_str) into struct accesses instead of dictionary look-ups.
import cython


cdef class WebSocketSession:
    cdef public object _timeout, _receive_timeout, _heartbeat, _protocols, _compress
    cdef public object _max_msg_size, _write_limit
    cdef public object _loop, _transport, _frame_reader, _frame_writer, _sent
    cdef public object _ws_protocol, _deflate, _queue, _waiter, _peer_close, _conn, _out
    cdef public object _new_waiter
    cdef public object _pending_error, _close_code, _exception, _heartbeat_handle
    cdef public bint _autoclose, _autoping, _tx_plain, _reading_paused, _pending_close
    cdef public bint _decode_text
    cdef public bint _closed, _closing
    cdef public Py_ssize_t _rx_small, _queued_bytes, _conn_lost
    cdef public double _last_rx, _ping_sent_at
    cdef object __weakref__

    cdef object _deliver(self, object msg)
    cdef object _wake_reader(self)
    cdef bint _need_drain(self)
    cdef object _write_small(self, bytes frame)


cdef bint _COMPILED
cdef bytearray _scratch

@cython.locals(n=Py_ssize_t, b0=Py_ssize_t, length=Py_ssize_t)
cdef object _lone_small_message(bytes data, Py_ssize_t limit)

@cython.locals(buf=bytearray, k0=cython.uchar, k1=cython.uchar, k2=cython.uchar,
               k3=cython.uchar, i=Py_ssize_t, j=Py_ssize_t, end=Py_ssize_t)
cpdef object _unmask_text(bytes data, Py_ssize_t length)
