"""Hooks that run before every route: CORS preflight and HTTP Basic auth.

Basic auth guards every route, the stream port included, when both
auth_user and auth_password are set. A CORS preflight (OPTIONS) is answered
without credentials, as browsers send none with it, and says
Access-Control-Allow-Private-Network so pages on public origins may reach a
camera on the LAN.
"""

import binascii

from camserver.http.response import Response, text


def cors_preflight(config, router):
    origin = config["cors_origin"]

    def hook(request):
        if request.method != "OPTIONS":
            return None
        allowed = router.allowed(request.path)
        if allowed is None:
            return None  # the router answers 404
        headers = [
            ("Allow", ", ".join(allowed)),
            ("Access-Control-Allow-Methods", ", ".join(allowed)),
            ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
            ("Access-Control-Max-Age", "600"),
        ]
        if origin:
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return Response(b"", 204, None, headers)

    return hook


def basic_auth(config):
    """A hook answering 401 unless the request carries the configured credentials; None when auth is off."""
    user = config["auth_user"]
    password = config["auth_password"]
    if not user or not password:
        return None
    token = "Basic " + binascii.b2a_base64((user + ":" + password).encode()).decode().strip()
    challenge = [("WWW-Authenticate", 'Basic realm="camera", charset="UTF-8"')]

    def hook(request):
        if request.method == "OPTIONS":
            return None
        if request.headers.get("authorization") == token:
            return None
        return text(401, "authentication required", challenge)

    return hook
