# C declarations for response.py when Cython compiles it (see setup.py); the .py is the source.
# status_line is called as a C function, not through the module attribute.
from .http.writer cimport status_line
