# C declarations for json_response.py when Cython compiles it (see setup.py): none needed;
# the module is compiled so that json_response runs as C.
