"""The session description DESCRIBE returns (RFC 4566): one Motion-JPEG video stream, RTP/AVP 26.

The session level is the aggregate control URL (*); the stream is controlled as "track1"
relative to the Content-Base of the reply (the request URL with a final "/").
"""

TRACK = "track1"


def describe(session_id, server_address, fps):
    lines = (
        "v=0",
        "o=- %d 1 IN IP4 %s" % (session_id, server_address),
        "s=camserver",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=control:*",
        "a=range:npt=0-",
        "m=video 0 RTP/AVP 26",
        "a=rtpmap:26 JPEG/90000",
        "a=framerate:%d" % fps,
        "a=control:" + TRACK,
        "",
    )
    return "\r\n".join(lines).encode()
