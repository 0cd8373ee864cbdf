"""Updates and boots, deterministically inside MicroPython: the app-image header check, the block
writer (with an in-memory partition), one update at a time, the boot record's failed-boot counter
and safe mode, the brownout diagnosis, and the health check that confirms or rolls back."""

import asyncio
import hashlib
from binascii import hexlify

import check
from camserver import log
from camserver.device import boots, health, ota
from camserver.router import Router

BLOCK = ota.BLOCK


def image(size, chip=9, version=b"v2"):
    head = bytearray(size)
    head[0] = 0xE9
    head[1] = 3
    head[12] = chip & 0xFF
    head[13] = chip >> 8
    head[32:36] = b"\x32\x54\xcd\xab"
    head[48 : 48 + len(version)] = version
    for i in range(64, size):
        head[i] = (i * 7) & 0xFF
    return head


def sha(data):
    return hexlify(hashlib.sha256(data).digest()).decode()


class MemoryPartition:
    """esp32.Partition's methods over a bytearray; the class keeps the slots and the boot choice."""

    RUNNING = 1
    slots = {}
    boot = "ota_0"
    running = "ota_0"
    confirmed = 0

    def __init__(self, id):
        self.label = MemoryPartition.running if id == MemoryPartition.RUNNING else id

    def info(self):
        return (0, 0x10, 0, len(MemoryPartition.slots[self.label]), self.label, False)

    def readblocks(self, block, buf):
        flash = MemoryPartition.slots[self.label]
        buf[:] = flash[block * BLOCK : block * BLOCK + len(buf)]

    def writeblocks(self, block, buf):
        flash = MemoryPartition.slots[self.label]
        flash[block * BLOCK : block * BLOCK + len(buf)] = buf

    def ioctl(self, cmd, arg):
        return BLOCK if cmd == 5 else None

    def set_boot(self):
        MemoryPartition.boot = self.label

    def get_next_update(self):
        return MemoryPartition("ota_1" if self.label == "ota_0" else "ota_0")

    @classmethod
    def mark_app_valid_cancel_rollback(cls):
        cls.confirmed += 1


def fresh_partitions(size=8 * BLOCK):
    MemoryPartition.slots = {"ota_0": bytearray(size), "ota_1": bytearray(size)}
    MemoryPartition.boot = MemoryPartition.running = "ota_0"
    MemoryPartition.confirmed = 0


class MemoryStore:
    def __init__(self, data=None):
        self.data = data

    def load(self):
        return self.data

    def save(self, data):
        self.data = dict(data)


class Console:
    """Captures the log lines (log prints them)."""

    def __init__(self):
        self.lines = []

    def __enter__(self):
        self.saved = log._emit
        log._emit = lambda lvl, msg, args: self.lines.append(msg % args if args else msg)
        return self

    def __exit__(self, *exc):
        log._emit = self.saved

    def has(self, text):
        return any(text in line for line in self.lines)


# -- the route --


def test_only_routes_added_with_stream_body_read_their_body_themselves():
    async def handler(request):
        pass

    router = Router()
    router.add("POST", "/ota", handler, changes_state=True, stream_body=True)
    router.add("POST", "/wifi", handler, changes_state=True)
    assert router.streams_body("/ota")
    assert not router.streams_body("/wifi") and not router.streams_body("/nope")


# -- the header --


def test_header_of_an_esp32s3_app_image_passes():
    ota.check_header(image(BLOCK))
    assert ota.app_version(image(BLOCK)) == "v2"


def test_header_refusals_name_the_reason():
    bad = image(BLOCK)
    bad[0] = 0x7F
    assert "0xE9" in str(check.raises(ValueError, ota.check_header, bad))
    bad = image(BLOCK)
    bad[1] = 0
    assert "0 segments" in str(check.raises(ValueError, ota.check_header, bad))
    bad[1] = 17
    assert "17 segments" in str(check.raises(ValueError, ota.check_header, bad))
    e = check.raises(ValueError, ota.check_header, image(BLOCK, chip=5))  # ESP32-C3
    assert str(e) == "image is for chip id 5; this device needs chip id 9 (ESP32-S3 is 9)"
    assert "0xE9" in str(check.raises(ValueError, ota.check_header, bytearray(10)))


# -- the writer --


def write_all(updater, data, expected):
    writer = updater.begin(len(data))
    block = bytearray(BLOCK)
    for off in range(0, len(data), BLOCK):
        n = min(BLOCK, len(data) - off)
        block[0:n] = data[off : off + n]
        writer.feed(block, n)
    writer.finish(expected)


def test_good_image_is_written_in_blocks_padded_and_switched():
    fresh_partitions()
    updater = ota.Updater(MemoryPartition)
    data = image(3 * BLOCK + 100)
    write_all(updater, data, sha(data).upper())
    flash = MemoryPartition.slots["ota_1"]
    assert flash[: len(data)] == data
    assert flash[len(data) : 4 * BLOCK] == b"\xff" * (BLOCK - 100)  # the last block, padded as erased
    assert MemoryPartition.boot == "ota_1"


def test_wrong_digest_switches_nothing():
    fresh_partitions()
    updater = ota.Updater(MemoryPartition)
    data = image(2 * BLOCK)
    e = check.raises(ValueError, write_all, updater, data, "0" * 64)
    assert str(e).startswith("SHA-256 mismatch")
    assert MemoryPartition.boot == "ota_0"


def test_bad_first_block_writes_nothing():
    fresh_partitions()
    writer = ota.Updater(MemoryPartition).begin(2 * BLOCK)
    check.raises(ValueError, writer.feed, image(BLOCK, chip=0), BLOCK)
    assert MemoryPartition.slots["ota_1"] == bytearray(8 * BLOCK)


def test_the_updater_checks_for_its_own_chip():
    fresh_partitions()
    writer = ota.Updater(MemoryPartition, chip_id=5).begin(BLOCK)
    e = check.raises(ValueError, writer.feed, image(BLOCK), BLOCK)
    assert str(e) == "image is for chip id 9; this device needs chip id 5 (ESP32-S3 is 9)"


def test_incomplete_image_or_more_than_announced_is_refused():
    fresh_partitions()
    writer = ota.Updater(MemoryPartition).begin(BLOCK + 10)
    writer.feed(image(BLOCK), BLOCK)
    e = check.raises(ValueError, writer.finish, "0" * 64)
    assert str(e) == "image incomplete: 4096 of 4106 bytes"
    check.raises(ValueError, writer.feed, bytearray(BLOCK), BLOCK)
    assert MemoryPartition.boot == "ota_0"


def test_an_image_esp_idf_refuses_at_set_boot_is_the_clients_fault():
    fresh_partitions()

    class Refusing(MemoryPartition):
        def set_boot(self):
            raise OSError(-0x1503)  # ESP_ERR_OTA_VALIDATE_FAILED, as check_esp_err raises it

    writer = ota.Writer(Refusing("ota_1"), BLOCK)
    data = image(BLOCK)
    writer.feed(bytearray(data), BLOCK)
    e = check.raises(ValueError, writer.finish, sha(data))
    assert "ESP-IDF's check of the app image failed" in str(e)
    assert MemoryPartition.boot == "ota_0"

    class Broken(MemoryPartition):
        def set_boot(self):
            raise OSError(5)  # EIO: a flash failure stays an OSError (500)

    writer = ota.Writer(Broken("ota_1"), BLOCK)
    writer.feed(bytearray(data), BLOCK)
    check.raises(OSError, writer.finish, sha(data))


def test_one_update_at_a_time_and_again_after_a_failure():
    fresh_partitions()
    record = boots.BootRecord(MemoryStore())
    updater = ota.Updater(MemoryPartition, record=record)
    updater.begin(BLOCK)
    check.raises(ota.Busy, updater.begin, BLOCK)
    updater.failed("gone")
    assert updater.status()["error"] == "gone"
    data = image(BLOCK)
    write_all(updater, data, sha(data))
    updater.succeeded()
    assert record.trial == "ota_1"
    check.raises(ota.Busy, updater.begin, BLOCK)  # rebooting into it: no second one
    assert updater.status() == {
        "state": "done",
        "bytes": BLOCK,
        "total": BLOCK,
        "running": "ota_0",
        "version": "",
    }


def test_no_update_while_the_running_image_is_on_trial():
    fresh_partitions()
    MemoryPartition.running = "ota_1"
    record = boots.BootRecord(MemoryStore({"fails": 0, "stage": "up", "trial": "ota_1"}))
    updater = ota.Updater(MemoryPartition, record=record)
    try:
        updater.begin(BLOCK)
        raise AssertionError("an update began while ota_1 was on trial")
    except ota.Busy as e:
        assert str(e) == "ota_1 is on trial until its health check passes; update after that"
    assert updater.state == "idle"
    record.on_trial("")  # confirmed (device/health.py)
    updater.begin(BLOCK)
    assert updater.state == "writing"


# -- the boot record and safe mode --


def test_three_failed_boots_then_safe_mode_and_a_healthy_boot_clears_it():
    store = MemoryStore()
    with Console() as console:
        for _ in range(3):
            assert not boots.BootRecord(store).starting()
        record = boots.BootRecord(store)
        assert record.starting()
        assert console.has("safe mode: 3 boots in a row failed")
        unknown = {"cause": "unknown", "reason": "the chip cannot tell", "uptime_s": None}
        assert record.status() == {"safe_mode": True, "failed_boots": 3, "last_reset": unknown}
        record.healthy()
    assert store.data["fails"] == 0
    assert not boots.BootRecord(store).starting()


def test_a_healthy_boot_between_failures_starts_the_count_again():
    store = MemoryStore()
    for _ in range(2):
        boots.BootRecord(store).starting()
    boots.BootRecord(store).healthy()
    for _ in range(2):
        assert not boots.BootRecord(store).starting()


def test_broken_record_counts_as_none():
    assert not boots.BootRecord(MemoryStore(["not", "a", "dict"])).starting()


def test_power_reset_during_camera_start_is_reported_as_brownout():
    store = MemoryStore()
    record = boots.BootRecord(store)
    record.starting()
    record.reached("camera")
    with Console() as console:
        boots.BootRecord(store).starting(9)  # ESP_RST_BROWNOUT
    assert console.has("brownout reset while the camera started")
    # A power-on after a boot that got past the camera is an ordinary one.
    record = boots.BootRecord(store)
    record.reached("server")
    with Console() as console:
        boots.BootRecord(store).starting(9)  # ESP_RST_BROWNOUT
    assert not console.has("brownout")


# -- the health check --


def boot_check(store, problem, running="ota_1"):
    fresh_partitions()
    MemoryPartition.running = running
    updater = ota.Updater(MemoryPartition)
    record = boots.BootRecord(store)
    record.starting()
    resets = []
    check_ = health.BootCheck(record, updater, lambda: problem, healthy_ms=5, reset=lambda: resets.append(1))
    return check_, resets


def test_trial_image_that_is_healthy_is_confirmed():
    store = MemoryStore({"fails": 0, "stage": "up", "trial": "ota_1"})
    check_, resets = boot_check(store, None)
    assert check_.trial
    check_.listening()
    asyncio.run(check_.run())
    assert MemoryPartition.confirmed == 1 and not resets
    assert store.data == {"fails": 0, "stage": "up", "trial": ""}
    assert check_.status()["health"] == "healthy"


def test_trial_image_that_fails_resets_unconfirmed():
    store = MemoryStore({"fails": 0, "stage": "up", "trial": "ota_1"})
    check_, resets = boot_check(store, "camera not available")
    assert not check_.conclude()
    assert resets == [1] and MemoryPartition.confirmed == 0
    assert store.data["trial"] == "ota_1" and store.data["fails"] == 1


def test_confirmed_image_that_fails_keeps_serving():
    store = MemoryStore()
    check_, resets = boot_check(store, "camera not available", running="ota_0")
    with Console() as console:
        assert not check_.conclude()
    assert not resets and console.has("health check: camera not available")
    assert store.data["fails"] == 0  # the server runs: not a failed boot


def test_rolled_back_trial_is_reported_and_forgotten():
    store = MemoryStore({"fails": 0, "stage": "start", "trial": "ota_1"})
    with Console() as console:
        check_, _ = boot_check(store, None, running="ota_0")
    assert not check_.trial and store.data["trial"] == ""
    assert console.has("ota: ota_1 was not confirmed; running ota_0 again")


def test_nothing_is_concluded_before_the_server_listens():
    check_, resets = boot_check(MemoryStore(), None)

    async def later():
        task = asyncio.create_task(check_.run())
        await asyncio.sleep_ms(30)
        before = check_.result
        check_.listening()
        await task
        return before

    assert asyncio.run(later()) == "pending"
    assert check_.result == "healthy"


check.run(globals())
