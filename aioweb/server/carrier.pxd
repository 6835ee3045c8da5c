# C declarations for carrier.py when Cython compiles it (see setup.py); the .py is the source.


cdef class Resume:
    cdef object _coro, _ctx, _yielded
