"""Device start, board and sim alike: settings, camera, Wi-Fi, then the HTTP server, for as long as it runs.

The frozen main.py calls boot() at every boot with the board's modules; `make sim` (camserver.host)
calls it with host doubles for them. First the boot record (device/boots.py) counts
this boot: after repeated failed boots it starts in safe mode (no camera; network, server and /ota
up), and the health check (device/health.py) later clears it or rolls an updated image back.
Then the order matters:
1. settings from /settings.json: a missing or broken file gives the defaults and one console line,
   never an exception (an exception here would end main.py and leave a board without a server);
2. the camera, before anything else allocates: esp32-camera takes its frame buffers from PSRAM, and
   the MicroPython heap grows into the same PSRAM on demand later;
3. Wi-Fi (camserver.device.wifi): station, or the setup access point; then SNTP (device/sntp.py)
   in the background, which sets the clock whenever the station has a network;
4. the server (camserver.app.serve), which prints `camera ready: http://<address>/`. An exception
   escaping it is logged and the server started again after a pause, never a reboot loop.
The watchdog (device/watchdog.py) starts first thing in the event loop. KeyboardInterrupt (Ctrl-C
on the console, or mpremote taking the REPL) stops the device and leaves the REPL: the boot does
not count as failed and the watchdog gets its longest timeout.

Imports of the heavy parts happen inside the functions, so that host tools can import the
package (firmware/configure.py uses camserver.device.creds).
"""

from camserver import log, settings


class WifiChanges:
    """What the page's Wi-Fi form (app/wifi_form.py) needs from the device: mode() is "ap" while
    the access point is the way in (setup), "sta" on a network (the running Wifi's access_mode on
    the board, the mode camserver.host was started with on the host); save() keeps new
    credentials in the settings file this boot read, through its store (settings.Store).
    keeps_settings: /control changes are saved through that store too (app/persist.py); the host
    without a settings= file saves only Wi-Fi."""

    def __init__(self, config, store, mode, keeps_settings=True):
        self.config = config
        self.store = store
        self.mode = mode
        self.keeps_settings = keeps_settings
        self.on_link_lost = None  # set by the running server: ends every connection

    def save(self, ssid, password):
        return save_wifi(self.config, ssid, password, self.store)

    def link_lost(self):
        """The station lost its network (Wifi.on_lost): the streams over it end now, not when
        their send timeout notices, so their frames and slots are free when the link is back."""
        if self.on_link_lost is not None:
            self.on_link_lost()


def boot_config(path=settings.PATH, overrides=None):
    """The settings for this boot. Never raises: anything wrong gives the defaults plus a line."""
    try:
        config = settings.load(path, overrides)
    except Exception as e:  # a bad setting must not stop the board from starting
        log.error("settings: %s, using the defaults", e)
        config = dict(settings.DEFAULTS)
    log.set_level(config["log_level"])
    return config


def safe_mode_camera():
    """The camera stand-in of a safe-mode boot (device/boots.py): frame routes say why."""
    from camserver.camera import absent

    absent.reason = "safe mode: camera off after failed boots (see the console; fix it and reset)"
    return absent


def camera_problem(camera):
    """Why the camera fails the boot's health check, or None."""
    from camserver.camera import missing

    if camera is None or missing(camera) is not None:
        return "camera not available"
    return None


def init_camera(config, open_camera=None, attempts=3, pause_ms=500):
    """Open the camera (early: see the module docstring). A camera that does not answer is tried
    `attempts` times; then the device goes on without it (None) so the page still loads."""
    import time

    if open_camera is None:
        from camserver.camera import open_camera
    for attempt in range(1, attempts + 1):
        try:
            return open_camera(config)
        except Exception as e:  # driver errors: OSError, ValueError, MemoryError
            name = type(e).__name__
            log.error("camera: init failed (%s: %s), attempt %d of %d", name, e, attempt, attempts)
            if attempt < attempts:
                time.sleep_ms(pause_ms)
    log.error("camera: not available, serving without it")
    return None


async def run_server(
    config,
    camera,
    wifi,
    serve,
    changes=None,
    restarts=None,
    pause_ms=1000,
    pause_max_ms=30000,
    more=(),
    fatal=(),
):
    """Run serve(config, camera, address, changes, *more) and start it again whenever it ends or
    raises, with a pause that doubles up to pause_max_ms (reset after a minute of good running).
    restarts bounds the number of restarts (tests); None means forever. more: the updater, the boot
    check and reset (app.serve's ota, boot and reset_device). fatal: exceptions that end it instead
    (the sim's: a port another program holds is the user's to fix, settings.SettingError).
    Returns the number of restarts."""
    import asyncio
    import gc
    import time

    done = 0
    pause = pause_ms
    while True:
        started = time.ticks_ms()
        try:
            await serve(config, camera, wifi.address, changes, *more)
            log.error("server: stopped")
        except fatal:
            raise
        except MemoryError:
            gc.collect()
            log.error("server: out of memory")
        except Exception as e:  # whatever escapes the server, the device keeps serving
            log.error("server: %s: %s", type(e).__name__, e)
        if time.ticks_diff(time.ticks_ms(), started) > 60000:
            pause = pause_ms
        if restarts is not None and done >= restarts:
            return done
        done += 1
        log.warning("server: restarting in %d ms", pause)
        await asyncio.sleep_ms(pause)
        pause = min(pause * 2, pause_max_ms)


async def keep_watching(wifi, pause_ms=1000):
    """wifi.watch() for as long as the device runs: a failure in the watcher (an OSError from
    the driver) is logged in one line and the watcher started again, never left dead."""
    import asyncio

    while True:
        try:
            await wifi.watch()
            return
        except Exception as e:
            log.error("wifi: watcher failed (%s: %s), restarting it", type(e).__name__, e)
            await asyncio.sleep_ms(pause_ms)


async def main(config, camera, wifi, changes, machine=None, updater=None, boot=None, fatal=()):
    """The watchdog first (device/watchdog.py), network up, network watcher and the boot's health
    check in the background, then the server for ever."""
    import asyncio

    from camserver.app import serve
    from camserver.device import watchdog

    if machine is not None:
        watchdog.start(machine, config["watchdog_s"])
    try:
        await wifi.up()
    except Exception as e:  # e.g. the radio failed to start: serve anyway, the watcher retries
        log.error("wifi: could not start (%s: %s)", type(e).__name__, e)
    asyncio.create_task(keep_watching(wifi))
    keep_time(config, wifi)
    if boot is not None:
        asyncio.create_task(boot.run())
    await run_server(config, camera, wifi, serve, changes, more=(updater, boot, reset), fatal=fatal)


def keep_time(config, wifi):
    """SNTP in the background (camserver.device.sntp) whenever the station has a network; not
    with ntp_server "", nor on the host, whose clock is right already (camserver.clock)."""
    import asyncio

    from camserver import clock

    if not config["ntp_server"] or clock.HOST:
        return None
    from camserver.device.sntp import Sntp

    return asyncio.create_task(Sntp(config["ntp_server"]).run(wifi.sta.isconnected))


_resetter = None  # (set by boot(): what reset() calls)
_record = None


def reset(cause, reason):
    """Reset the device, recording cause ("ota", "camera", ...) and a one-line reason for the
    next boot's /status.last_reset (device/resets.py). The one way the code resets a device."""
    if _resetter is None:  # a sim without a device folder (the tests'): no record, the exit code
        import sys

        log.error("reset: %s (%s)", cause, reason)
        sys.exit(75)  # (machine_host.REBOOT_EXIT: make sim starts it again)
    _resetter(cause, reason)


def stopped():
    """The device was stopped on purpose (the sim's Ctrl-C or SIGTERM): this boot did not fail."""
    if _record is not None:
        _record.stopped()


def boot(net, esp32, machine, chip_reason, path=settings.PATH, overrides=None, **options):
    """Build the device and run it: main.py passes the board's network, esp32 and machine modules
    and camera_glue.reset_reason, camserver.host their doubles (device/*_host.py). esp32 None: no
    boot record, updates or health check; machine None: no watchdog either (tests). options:
    open_camera, wifi_options, healthy_ms, keeps_settings (False: the file keeps Wi-Fi only), fatal
    (exceptions from the server that end the boot instead of restarting the server: run_server)."""
    import asyncio

    from camserver.device import boots, health, resets, watchdog
    from camserver.device.ota import Updater
    from camserver.device.wifi import Wifi

    global _resetter, _record
    config = boot_config(path, overrides)
    record = updater = check = None
    if esp32 is not None:
        record = _record = boots.BootRecord(boots.NvsStore(esp32.NVS))
        _resetter = resets.Resetter(record, machine.reset)
    if record is not None and record.starting(chip_reason()):
        camera = safe_mode_camera()
    else:
        if record is not None:
            record.reached("camera")
        camera = init_camera(config, options.get("open_camera"))
    store = settings.Store(path) if path else None  # the one writer of the settings file
    wifi = Wifi(net, config, store, **options.get("wifi_options", {}))
    if record is not None:
        updater = Updater(esp32.Partition, reset, record)

        def checks():
            return "no network" if wifi.address is None else None if record.safe else camera_problem(camera)

        def rollback():
            reset("ota", "%s failed its health check" % updater.running)

        check = health.BootCheck(record, updater, checks, options.get("healthy_ms", 20000), rollback)
    changes = WifiChanges(config, store, wifi.access_mode, options.get("keeps_settings", True))
    wifi.on_lost = changes.link_lost  # pyright: ignore[reportAttributeAccessIssue] (a slot Wifi declares None)
    try:
        asyncio.run(main(config, camera, wifi, changes, machine, updater, check, options.get("fatal", ())))
    except KeyboardInterrupt:
        # Ctrl-C, or mpremote taking the REPL: no reset under the feet of a person at the console.
        if machine is not None:
            watchdog.relax(machine)
        raise


def save_wifi(config, ssid, password, store):
    """Check Wi-Fi credentials from the page's settings form and save them as the pending pair:
    the running device tries them within a second (camserver.device.wifi) and keeps them only
    once they have worked; the saved network stays in the file until then. store: the settings
    file's settings.Store. Returns a one-line
    message for the page; ValueError with the reason when the values cannot work, OSError when
    the file cannot be written (nothing changes then)."""
    from camserver.device import creds

    ssid, password = creds.check_wifi(ssid, password)
    updated = dict(config)
    updated["wifi_pending_ssid"] = ssid
    updated["wifi_pending_password"] = password
    store.save(updated)
    # Only once the file has it: the watcher picks the pair up from the running config.
    config["wifi_pending_ssid"] = ssid
    config["wifi_pending_password"] = password
    log.info("wifi: credentials for %s saved to %s, trying them", ssid, store.path)
    old = config["wifi_ssid"]
    if old:
        return "saved; the camera now tries %s and goes back to %s if it does not connect" % (ssid, old)
    return "saved; the camera now joins %s" % ssid
