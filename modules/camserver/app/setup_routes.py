"""POST /wifi: the page's Wi-Fi form saves credentials through camserver.device."""

from camserver.http.errors import HTTPError
from camserver.http.request import parse_query
from camserver.http.response import text


def wifi_route(config, settings_path):
    """A handler saving ssid/password (form-urlencoded) to settings_path (None: the board's file)."""

    async def wifi(request):
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            raise HTTPError(415, "send the form as application/x-www-form-urlencoded")
        try:
            form = parse_query(bytes(request.body).decode())
        except UnicodeError:
            raise HTTPError(400, "form is not valid UTF-8")
        from camserver import device

        try:
            message = device.save_wifi(config, form.get("ssid", ""), form.get("password", ""), settings_path)
        except ValueError as e:
            raise HTTPError(400, str(e))
        except OSError as e:
            raise HTTPError(500, "could not save the settings: %s" % e)
        return text(200, message)

    return wifi
