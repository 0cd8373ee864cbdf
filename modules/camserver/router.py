"""Method + path -> handler.

Routes are exact paths (a camera server has a handful); the query string is
parsed on demand by Request.query. A path that exists with another method is
405 with an Allow header; an unknown path is 404. `before` hooks run ahead of
every handler (Host check, CORS preflight, auth) and may answer instead of it.

A route added with changes_state=True (a setting, the Wi-Fi credentials, and
any later route that changes the device) is a property of the route, not of
its handler: it never answers HEAD (HEAD must be free of side effects), and
`state_guard` runs before its handler, after the before hooks, to refuse
requests a hostile web page could have sent (camserver.security.origin).

A route added with stream_body=True (a firmware upload) is not bounded by max_body: the
connection leaves its body unread and the handler reads it block by block with
`await request.read_into(buf)` (transport/body.py), so an image never has to fit in RAM.
"""

from camserver.http.errors import HTTPError


class Router:
    def __init__(self):
        self._routes = {}  # path -> [{method: handler}, changes_state, stream_body]
        self.before = []
        self.state_guard = None  # hook(request) -> Response or None, for changes_state routes

    def add(self, method, path, handler, changes_state=False, stream_body=False):
        """Register an async handler(request) -> Response for method and path.
        A GET route also answers HEAD (the connection drops the body), unless it changes state.
        stream_body: the handler reads the body itself (see the module docstring)."""
        route = self._routes.get(path)
        if route is None:
            route = self._routes[path] = [{}, False, False]
        route[0][method] = handler
        if changes_state:
            route[1] = True
        if stream_body:
            route[2] = True

    def streams_body(self, path):
        """True when path's handler reads the request body itself (stream_body=True)."""
        route = self._routes.get(path)
        return route is not None and route[2]

    def allowed(self, path):
        """The methods path answers, or None for an unknown path."""
        route = self._routes.get(path)
        return None if route is None else self._methods(route)

    def _methods(self, route):
        methods = route[0]
        names = list(methods)
        if "GET" in methods and "HEAD" not in methods and not route[1]:
            names.append("HEAD")
        return names

    def _handler(self, route, request):
        if route is None:
            raise HTTPError(404, "no such path: " + request.path)
        methods = route[0]
        method = request.method
        handler = methods.get(method)
        if handler is None and method == "HEAD" and not route[1]:
            handler = methods.get("GET")
        if handler is None:
            allow = ", ".join(self._methods(route))
            raise HTTPError(
                405, "%s not allowed here (allowed: %s)" % (method, allow), headers=[("Allow", allow)]
            )
        return handler

    def match(self, request):
        """The handler for request; HTTPError 404/405 when there is none."""
        return self._handler(self._routes.get(request.path), request)

    def resolve(self, request):
        """A Response from a hook, or the handler to await (the connection
        awaits it). Synchronous, so routing costs no coroutine allocation per request."""
        for hook in self.before:
            response = hook(request)
            if response is not None:
                return response
        route = self._routes.get(request.path)
        handler = self._handler(route, request)
        if route[1] and self.state_guard is not None:
            response = self.state_guard(request)
            if response is not None:
                return response
        return handler
