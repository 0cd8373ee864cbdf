"""Method + path -> handler.

Routes are exact paths (a camera server has a handful); the query string is
parsed on demand by Request.query. A path that exists with another method is
405 with an Allow header; an unknown path is 404. `before` hooks run ahead of
every handler (auth, CORS preflight) and may answer instead of it.
"""

from camserver.http.errors import HTTPError


class Router:
    def __init__(self):
        self._routes = {}  # path -> {method: handler}
        self.before = []

    def add(self, method, path, handler):
        """Register an async handler(request) -> Response for method and path.
        A GET route also answers HEAD (the connection drops the body)."""
        self._routes.setdefault(path, {})[method] = handler

    def allowed(self, path):
        """The methods path answers, or None for an unknown path."""
        methods = self._routes.get(path)
        if methods is None:
            return None
        names = list(methods)
        if "GET" in methods and "HEAD" not in methods:
            names.append("HEAD")
        return names

    def match(self, request):
        """The handler for request; HTTPError 404/405 when there is none."""
        methods = self._routes.get(request.path)
        if methods is None:
            raise HTTPError(404, "no such path: " + request.path)
        method = request.method
        handler = methods.get(method)
        if handler is None and method == "HEAD":
            handler = methods.get("GET")
        if handler is None:
            allow = ", ".join(self.allowed(request.path))
            raise HTTPError(
                405, "%s not allowed here (allowed: %s)" % (method, allow), headers=[("Allow", allow)]
            )
        return handler

    def resolve(self, request):
        """A Response from a before hook, or the handler to await (the connection
        awaits it). Synchronous, so routing costs no coroutine allocation per request."""
        for hook in self.before:
            response = hook(request)
            if response is not None:
                return response
        return self.match(request)
