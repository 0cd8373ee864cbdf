"""Router and settings, inside MicroPython."""

import os

import check
from camserver import settings
from camserver.http.errors import HTTPError
from camserver.http.request import Request
from camserver.router import Router


async def handler(request):
    return "ok"


def test_match_404_405_and_head_from_get():
    r = Router()
    r.add("GET", "/status", handler)
    assert r.match(Request("GET", "/status", "", 11, {})) is handler
    assert r.match(Request("HEAD", "/status", "", 11, {})) is handler
    e = check.raises(HTTPError, r.match, Request("GET", "/nope", "", 11, {}))
    assert e.status == 404
    e = check.raises(HTTPError, r.match, Request("POST", "/status", "", 11, {}))
    assert e.status == 405 and e.headers == [("Allow", "GET, HEAD")]


def test_routes_that_change_state_have_no_head_and_pass_the_state_guard():
    r = Router()
    r.add("GET", "/status", handler)
    r.add("GET", "/control", handler, changes_state=True)
    guarded = []
    r.state_guard = lambda request: guarded.append(request.path)
    e = check.raises(HTTPError, r.resolve, Request("HEAD", "/control", "", 11, {}))
    assert e.status == 405 and e.headers == [("Allow", "GET")]
    assert r.allowed("/control") == ["GET"] and r.allowed("/status") == ["GET", "HEAD"]
    assert r.resolve(Request("GET", "/control", "", 11, {})) is handler
    assert r.resolve(Request("GET", "/status", "", 11, {})) is handler
    assert guarded == ["/control"]
    r.state_guard = lambda request: "refused"
    assert r.resolve(Request("GET", "/control", "", 11, {})) == "refused"
    assert r.resolve(Request("HEAD", "/status", "", 11, {})) is handler


def test_settings_overrides_are_coerced():
    overrides = settings.parse_overrides(["chunk_size=1460", "nodelay=0", "log_level=trace"])
    config = settings.load(None, overrides)
    assert config["chunk_size"] == 1460 and config["nodelay"] is False and config["log_level"] == "trace"
    check.raises(ValueError, settings.load, None, {"no_such": "1"})
    check.raises(ValueError, settings.load, None, {"chunk_size": "big"})
    check.raises(ValueError, settings.parse_overrides, ["novalue"])


def test_settings_file_broken_or_missing_gives_defaults():
    path = check.tmp("settings-check.json")
    with open(path, "w") as f:
        f.write("{not json")
    assert settings.load(path) == settings.DEFAULTS
    assert settings.load(check.tmp("does-not-exist.json")) == settings.DEFAULTS
    with open(path, "w") as f:
        f.write('{"chunk_size": 2048, "bogus": 1, "nodelay": "maybe"}')
    config = settings.load(path)
    assert config["chunk_size"] == 2048 and config["nodelay"] is True


def test_settings_save_round_trip():
    path = check.tmp("settings-save.json")
    config = dict(settings.DEFAULTS)
    config["wifi_ssid"] = "home"
    settings.save(config, path)
    assert settings.load(path)["wifi_ssid"] == "home"
    # Saved again over the existing file, through a temporary file that does not stay behind.
    config["wifi_ssid"] = "cabin"
    settings.save(config, path)
    assert settings.load(path)["wifi_ssid"] == "cabin"
    check.raises(OSError, os.stat, path + ".tmp")


check.run(globals())
