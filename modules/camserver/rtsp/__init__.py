"""RTSP 1.0 (RFC 2326) with RTP/JPEG (RFC 2435): the camera's second protocol, fed by the same hub.

codec (requests and replies, no I/O), session (INIT -> READY -> PLAYING), jpeg (the header
facts RTP/JPEG needs), packetizer (the Python RtpJpeg; camera_glue has the C one), rtcp
(sender reports), sdp, service (what every control connection shares: sessions, UDP ports,
counters), handler (the methods: a request in, a reply and
an action out, no I/O), streamer (the task that sends a playing session's RTP and RTCP) and
connection (the task per control connection: reads requests, writes replies, runs the streamer).
"""
