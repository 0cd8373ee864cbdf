"""The HTTP/1.1 codec: parses request bytes and serialises responses. No I/O of its own: writers.py
writes only through the Sender the connection hands it.

status.py    status codes and reason phrases
errors.py    HTTPError: a status plus a one-line reason for the client
request.py   the parsed request (method, path, query, headers, body)
parser.py    bytes -> Request, enforcing the size limits
response.py  Response, and Response -> head bytes
writers.py   each kind of body framed on the wire (Content-Length, chunked, raw stream)
date.py      the Date header, once the clock is real
"""
