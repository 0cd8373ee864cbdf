"""The settings table (settings.TABLE) and settings.check, inside MicroPython: every setting has a
type and a range, SET= refuses a bad value, a settings file falls back with one line, the sensor's
ranges are the table's."""

import check
from camserver import log, settings
from camserver.camera import sensor


class Console:
    """Captures the log lines (level, text)."""

    def __enter__(self):
        self.lines = []
        self.saved = log._emit
        log._emit = lambda lvl, msg, args: self.lines.append((lvl, msg % args if args else msg))
        return self

    def __exit__(self, *exc):
        log._emit = self.saved


def reason(name, value):
    e = check.raises(settings.SettingError, settings.check, name, value)
    text = str(e)
    assert "\n" not in text and name in text, text
    return text


def test_every_setting_has_a_type_and_a_range_its_default_is_in():
    for name in settings.TABLE:
        spec = settings.TABLE[name]
        default = spec[0]
        assert len(spec) in (1, 2, 3, 4), name
        assert settings.DEFAULTS[name] == default
        assert settings.check(name, default) == default, name
        if isinstance(default, int) and not isinstance(default, bool):
            assert len(spec) > 1, "%s: an integer needs a range or choices" % name
        if len(spec) >= 3:
            assert spec[1] <= spec[2], name
        if len(spec) == 4:
            assert spec[1] > 0, "%s: 0 is its off value, not in its range" % name


def test_integers_outside_their_range_are_refused_with_the_range():
    assert reason("chunk_size", 0) == "chunk_size must be between 256 and 131072, got 0"
    assert reason("chunk_size", "0") == "chunk_size must be between 256 and 131072, got 0"
    assert settings.check("chunk_size", "1460") == 1460
    assert reason("port", 99999) == "port must be between 1 and 65535, got 99999"
    assert reason("port", 0) == "port must be between 1 and 65535, got 0"
    assert settings.check("port", 65535) == 65535
    assert reason("quality", 64) == "quality must be between 0 and 63, got 64"
    assert reason("fb_count", 0) == "fb_count must be between 1 and 4, got 0"
    assert reason("fps", 121) == "fps must be between 1 and 120, got 121"
    assert "needs an integer, got 'big'" in reason("max_body", "big")
    assert "needs an integer" in reason("port", True)  # (a JSON true is not a port)


def test_zero_means_off_where_it_does():
    assert settings.check("rtsp_port", 0) == 0
    assert reason("rtsp_port", 99999) == "rtsp_port must be 0 (off) or between 1 and 65535, got 99999"
    assert settings.check("stream_keepalive_ms", "0") == 0
    words = "stream_keepalive_ms must be 0 (off) or between 100 and 600000, got 5"
    assert reason("stream_keepalive_ms", 5) == words
    assert settings.check("auth_guesses", 0) == 0 and settings.check("send_buffer", 0) == 0
    assert "between" in reason("send_buffer", 10)


def test_choices_flags_and_text():
    assert settings.check("rotate", "90") == 90
    assert reason("rotate", 45) == "rotate must be 0, 90, 180 or 270, got 45"
    assert settings.check("log_level", "TRACE") == "trace"
    assert reason("log_level", "loud") == "log_level must be trace, debug, info, warning or error, got 'loud'"
    assert settings.check("nodelay", "0") is False and settings.check("nodelay", "on") is True
    assert reason("nodelay", "maybe") == "nodelay must be 0 or 1, got 'maybe'"
    assert settings.check("hostname", "cam") == "cam"
    assert reason("no_such", 1) == "unknown setting: no_such"


def test_the_sensor_ranges_are_the_tables():
    assert sorted(sensor.RANGES) == sorted(settings.SENSOR)
    for name in sensor.RANGES:
        low, high, default = sensor.RANGES[name]
        assert settings.TABLE[name] == (default, low, high), name
        assert settings.DEFAULTS[name] == default
    # the camera's own check gives the table's reason
    e = check.raises(ValueError, sensor.check, "framesize", 99)
    assert str(e) == "framesize must be between 0 and 15, got 99"
    assert str(check.raises(ValueError, sensor.check, "port", 80)) == "unknown setting: port"


def test_a_bad_override_stops_with_one_line():
    for item, words in (
        ("chunk_size=0", "chunk_size must be between 256 and 131072"),
        ("port=99999", "port must be between 1 and 65535"),
        ("rotate=45", "rotate must be 0, 90, 180 or 270"),
        ("framesize=99", "framesize must be between 0 and 15"),
    ):
        e = check.raises(settings.SettingError, settings.load, None, settings.parse_overrides([item]))
        assert words in str(e), (item, str(e))


def test_a_bad_value_in_the_file_falls_back_with_one_warning_naming_it():
    path = check.tmp("settings-range.json")
    with open(path, "w") as f:
        f.write('{"chunk_size": 0, "rotate": 45, "port": 99999, "quality": 20}')
    with Console() as console:
        config = settings.load(path)
    assert config["chunk_size"] == 4096 and config["rotate"] == 0 and config["port"] == 80
    assert config["quality"] == 20
    warnings = [text for lvl, text in console.lines if lvl == log.WARNING]
    assert len(warnings) == 3, console.lines
    for name in ("chunk_size", "rotate", "port"):
        named = [text for text in warnings if text.startswith("settings: " + name + " must be")]
        assert len(named) == 1, warnings
    assert "settings: chunk_size must be between 256 and 131072, got 0; using 4096" in warnings


check.run(globals())
