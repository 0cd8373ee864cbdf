"""Cross-site refusal for the routes that change state (the router's state_guard).

A page on any origin can make a browser send a form POST or load an <img>
from the camera without asking (no CORS preflight): a hostile page could
change settings or Wi-Fi. Browsers say where such a request comes from, so a
state-changing request is refused (403) when:
  * Sec-Fetch-Site is cross-site, or same-site without Origin or Referer to
    tell which page it is (a page on another name of the same site);
  * its Origin, or without one its Referer, names another origin than the
    request's own (http://<Host>) and is not a name in allowed_hosts.
The origin named in cors_origin (not `*`) may change state too: naming it
there is trusting it.
Browsers send Sec-Fetch-* only to https and localhost, and a page can strip
Origin and Referer from a GET (`<img referrerpolicy=no-referrer>`). So a
request that says nothing of where it comes from is refused too when its
User-Agent is a browser's ("Mozilla/", which every browser sends and no page
can change), unless it carries X-Requested-With: a header no page can add to a
request to another origin without a CORS preflight, which only cors_origin
passes. The camera's own page sends it. Clients that are not browsers (curl,
Home Assistant, ffmpeg, scripts) send none of these and keep working.
"""

from camserver.http.response import text
from camserver.security.hosts import host_name


def origin_of(url):
    """ "http://cam:8080/page?x" -> "http://cam:8080"; url itself when it has no "://"."""
    scheme = url.find("://")
    if scheme < 0:
        return url
    path = url.find("/", scheme + 3)
    return url if path < 0 else url[:path]


def _authority(value):
    return value[:-3] if value.endswith(":80") else value


class CrossSite:
    def __init__(self, hosts, cors_origin):
        self.proxies = hosts.proxies
        self.trusted = cors_origin if cors_origin != "*" else ""

    def own(self, origin, host):
        """True when origin is the request's own (http://<Host>) or a name in allowed_hosts."""
        scheme, sep, authority = origin.lower().partition("://")
        if not sep:
            return False  # "null" (sandboxed frames, file:), or a Referer that is no URL
        if scheme == "http" and host is not None and _authority(authority) == _authority(host.lower()):
            return True
        return host_name(authority) in self.proxies

    def check(self, request):
        headers = request.headers
        origin = headers.get("origin")
        if origin is None:
            referer = headers.get("referer")
            if referer is not None:
                origin = origin_of(referer)
        if origin is not None and origin == self.trusted:
            return None
        site = headers.get("sec-fetch-site")
        if site == "cross-site":
            return _refuse("cross-site request refused")
        if origin is None:
            if site == "same-site":
                return _refuse("request from another site refused")
            if site is None and "x-requested-with" not in headers and _browser(headers):
                return _refuse(
                    "a browser request naming no page (no Origin or Referer) refused: use the camera's page"
                )
            return None
        if self.own(origin, headers.get("host")):
            return None
        return _refuse("request from %s refused: not this camera's page" % origin[:80])


def _browser(headers):
    return "Mozilla/" in headers.get("user-agent", "")


def _refuse(reason):
    return text(403, reason)
