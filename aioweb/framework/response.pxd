# C declarations for response.py when Cython compiles it (see setup.py); the .py is the source.
# status_line, http_date_now and the short path's functions are called as C functions, not
# through module attributes.
from aioweb.http.writer cimport http_date_now, status_line
from aioweb.framework.response_short cimport (
    PlainState, add_fields, expose_fields, finish_short, leave_short, make_headers, new_state,
    short_head, start_short,
)
