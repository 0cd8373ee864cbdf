"""The HTTP/1.1 codec: parses request bytes, decides the framing, serialises responses. No I/O:
the connection (transport/) reads and writes the bytes, and its writers.py puts each kind of
response body on the wire as framing.py decides.

status.py    status codes and reason phrases
errors.py    HTTPError: a status plus a one-line reason for the client
request.py   the parsed request (method, path, query, headers, body)
parser.py    bytes -> Request, enforcing the size limits
response.py  Response, and Response -> head bytes
framing.py   a request's body (length, streamed, 100 Continue, refusals); keep-alive
date.py      the Date header, once the clock is real
"""
