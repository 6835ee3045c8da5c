# C declarations for response.py when Cython compiles it (see setup.py); the .py is the source.
# status_line and http_date_now are called as C functions, not through module attributes.
from aioweb.http.writer cimport http_date_now, plain_head, status_line
