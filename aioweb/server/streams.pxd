# C declarations for streams.py when Cython compiles it (see setup.py); the .py is the source.

cdef class StreamReader:
    cdef public object _flow, _loop, _buffer, _waiter, _eof_waiter, _exception
    cdef public object _eof_callbacks, on_first_wait
    cdef public Py_ssize_t _low_water, _high_water, _size, total_bytes
    cdef public bint _eof, _paused
    cdef dict __dict__
    cdef object __weakref__


cdef class EmptyStreamReader(StreamReader):
    pass
