"""Sockets and tasks. The listener owns the listen socket and the connection
limit; each accepted client gets a Connection task that reads, dispatches and
sends, so one slow download never delays anybody else.

    listener.py    accept, socket options, max_connections, the timeout watchdog
    connection.py  one task per client: request loop, keep-alive, pipelining
    sender.py      writes buffers in chunk_size pieces without copying them
    writers.py     each kind of response body on the wire (Content-Length, chunked, raw stream)
    wait.py        parks a task on a socket, without allocating
    body.py        reads a request body (whole, or block by block by its route)
    eviction.py    which connection a newcomer may replace when every slot is taken
    phases.py      what a connection waits for; each phase has its own timeout
    address.py     peer addresses as text
    sockopts.py    options applied to every accepted socket (TCP_NODELAY)
    disconnect.py  which errors mean "the client went away" (not an error)
"""
