"""What a connection is waiting for. Each phase has its own timeout (Listener.timeouts is
indexed by them); the listener's watchdog cancels a connection whose deadline passed."""

UNTIMED = 0  # no deadline: the request is being handled, or a stream waits for its next frame

IDLE = 1  # keep-alive, waiting for the first byte of the next request: close quietly
READING = 2  # inside a request head or body: 408, then close
SENDING = 3  # the peer stopped reading our response: drop it
DRAINING = 4  # after an error reply, reading what the client still sends: close
EVICTED = 5  # not a phase: why the task was cancelled (a newcomer needed the slot)
REVOKED = 6  # not a phase: why the task was cancelled (the camera needed the frame it was sending)
# A body the route reads itself (transport/body.py), one block per phase: 408 like READING, but
# never taken for a half-sent head by the eviction (a firmware upload is real work).
UPLOADING = 7
SESSION = 8  # an RTSP session between requests: its deadline is the session's timeout (rtsp/)
LINK_LOST = 9  # not a phase: why the task was cancelled (the network it came over is gone)
