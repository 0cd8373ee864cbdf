"""POST /wifi: the page's Wi-Fi form. It saves credentials through what the device passes in
(camserver.device.WifiChanges: the current mode and a save), so the app imports nothing of the
device.

Who may change the camera's network: a page that can make the camera join a network of its
choosing owns the camera. So the form is accepted only from someone who has joined the setup
access point (the device's Wi-Fi mode is "ap"), or, on a network, when auth is configured (the
auth hook runs before this handler and has checked the credentials). Everyone else is told the
way that always works: `make configure` over USB.
"""

from camserver.http.errors import HTTPError
from camserver.http.request import parse_query
from camserver.http.response import NO_STORE, text

REFUSED = (
    "Wi-Fi can be changed here only on the camera's access point or with auth_user/auth_password set;"
    " use make configure over USB"
)


def wifi_route(config, changes):
    """A handler saving ssid/password (form-urlencoded) through changes.save(ssid, password),
    in the modes changes.mode() allows (see the module docstring)."""

    async def wifi(request):
        if changes.mode() != "ap" and not (config["auth_user"] or config["auth_password"]):
            raise HTTPError(403, REFUSED)
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            raise HTTPError(415, "send the form as application/x-www-form-urlencoded")
        try:
            form = parse_query(bytes(request.body).decode())
        except UnicodeError:
            raise HTTPError(400, "form is not valid UTF-8")
        try:
            message = changes.save(form.get("ssid", ""), form.get("password", ""))
        except ValueError as e:
            raise HTTPError(400, str(e))
        except OSError as e:
            raise HTTPError(500, "could not save the settings: %s" % e)
        return text(200, message, NO_STORE)

    return wifi
