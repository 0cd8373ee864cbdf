"""camserver: the HTTP camera server frozen into the firmware.

Layers, outermost first (each a folder or file of this package):

    transport/  listener (accept, socket options, max_connections) and one
                connection task per client; the chunked sender; disconnect
                classification
    http/       the HTTP/1.1 codec: bytes in, requests out; responses to bytes.
                No I/O, so it is tested without sockets
    router.py   method + path -> handler, query parameters, 404/405
    security/   Host check, CORS, auth, cross-site guard (before the handler)
    rtsp/       RTSP 1.0 + RTP/JPEG on its own port, fed by the same frame hub
    mqtt/       MQTT client and Home Assistant discovery (states, commands, snapshots)
    app/        the camera application (page, /capture, /stream, /status, /control, /ota)
    camera/     the camera backends behind one interface (sim, camera_glue)
    device/     the board: start, Wi-Fi, SNTP, OTA, boot record and health check

README.md (Architecture) lists every file.
"""

VERSION = "0.1.0"
