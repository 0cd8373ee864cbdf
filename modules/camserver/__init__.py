"""camserver: the HTTP camera server frozen into the firmware.

Layers, outermost first (each a folder or file of this package):

    transport/  listener (accept, socket options, max_connections) and one
                connection task per client; the chunked sender; disconnect
                classification
    http/       the HTTP/1.1 codec: bytes in, requests out; responses to bytes.
                No I/O, so it is tested without sockets
    router.py   method + path -> handler, query parameters, 404/405
    app/        the camera application (page, /capture, /stream, /status, /control)
    camera/     the camera backends behind one interface (sim, camera_glue)
"""

VERSION = "0.1.0"
