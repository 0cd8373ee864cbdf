"""The one exception the codec and router raise for a request they reject."""


class HTTPError(Exception):
    """A request that gets an error status. `reason` is the one line the client
    reads in the body; `close` says the connection cannot continue (the rest of
    the input can no longer be framed), and `headers` are added to the reply."""

    def __init__(self, status, reason, close=False, headers=None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.close = close
        self.headers = headers
