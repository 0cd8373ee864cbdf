"""camera_glue: the camera and the frame-to-socket path in C (cg_mod.c, cg_mod_rtp.c).

The type stub of the C module, for the type check of the frozen modules (`make lint`) and for
editors. It names every public member the module has, with the arguments the C code parses
(mp_arg_parse_all keywords are keywords here too; fixed-arity functions are positional-only);
tests/c/test_camera_glue_stub.py compares it with the built module. docs/camera_glue.md
describes the behaviour.
"""

from io import BytesIO
from socket import socket
from typing import Final

from _typeshed import ReadableBuffer, WriteableBuffer
from typing_extensions import TypeAlias

# What Frame.send and RtpJpeg.send write into: any object with MicroPython's native stream
# protocol (mp_get_stream_raise: sockets, files, io.BytesIO); a Python class with a write()
# method is refused (OSError: stream operation not supported).
_Stream: TypeAlias = socket | BytesIO

# The writable sensor settings, name -> (min, max, default) (cg_settings.h), in ROM.
RANGES: Final[dict[str, tuple[int, int, int]]]

def init(
    *,
    framesize: int = 10,
    quality: int = 12,
    brightness: int = 0,
    contrast: int = 0,
    saturation: int = 0,
    sharpness: int = 0,
    special_effect: int = 0,
    wb_mode: int = 0,
    awb: int = 1,
    awb_gain: int = 1,
    aec: int = 1,
    aec2: int = 0,
    ae_level: int = 0,
    aec_value: int = 168,
    agc: int = 1,
    agc_gain: int = 0,
    gainceiling: int = 0,
    bpc: int = 0,
    wpc: int = 1,
    raw_gma: int = 1,
    lenc: int = 1,
    hmirror: int = 0,
    vflip: int = 0,
    dcw: int = 1,
    colorbar: int = 0,
    led_intensity: int = 0,
    fb_count: int = 2,
    grab_mode: str = "latest",
    fps: int = 25,
    frames_dir: str = "build/frames",
    xclk_mhz: int = 20,
    faults: str = "",
) -> None:
    """Starts the camera, then applies the sensor settings given (a bool counts as 0/1). A bad
    value raises ValueError before the camera starts; no camera or no frames OSError(errno, reason).
    fps and frames_dir are the host backend's (the board ignores them); xclk_mhz is the sensor's
    clock; faults is camera_faults, the host backend's fault model (the board refuses any)."""

def reinit() -> None:
    """Restarts the camera with the last init's configuration and every setting it has now (the
    recovery ladder's step); OSError(errno, reason) when that fails."""

def counts() -> tuple[int, int]:
    """(timeouts, invalid frames): frames the sensor did not deliver, and frames that were not
    whole JPEGs and went back before the app saw them."""

def deinit() -> None:
    """Stops the camera; frames grabbed before can no longer be read. OSError(ENODEV) if not started."""

def grab() -> Frame | None:
    """The newest frame captured since the previous grab, or None; never blocks."""

def poll_ms() -> int:
    """How long to wait before grab() is worth calling again."""

def frames_out() -> int:
    """Frames grabbed and not yet released."""

def get(name: str, /) -> int:
    """A setting's value (the writable ones of RANGES, and xclk, pixformat)."""

def set(name: str, value: int, /) -> None:
    """Changes a writable setting; ValueError with the reason when out of range or refused."""

def status() -> dict[str, int | str | list[int]]:
    """Every setting by its CameraWebServer name, plus backend, driver, framesizes, fps, grabbed."""

def reset_reason() -> int:
    """esp_reset_reason() as its number (esp_reset_reason_t; device/resets.py names it): tells a
    brownout from a power-on and a panic from a hard reset. 0 (unknown) on the host."""

def thumb(frame: Frame | ReadableBuffer, out: WriteableBuffer, /) -> tuple[int, int]:
    """The 1/8-scale luma image of the JPEG in frame (each 8x8 block's DC: its mean) written into
    out; returns (width, height). ValueError with the decoder's reason for a frame it refuses
    (not baseline, cut, corrupted, out too small)."""

def motion_compare(
    thumb: ReadableBuffer, background: WriteableBuffer, mask: ReadableBuffer | None, threshold: int, /
) -> int:
    """Blocks of thumb (n bytes) that differ from background (n uint16, updated in place) by more
    than threshold (0..255), normalised for global brightness; mask: n bytes (0 skips a block) or
    None. ValueError when the sizes disagree."""

class Frame:
    """A camera frame: a read-only buffer over the framebuffer itself (no copy). Made by grab()
    only (the type has no constructor)."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def index(self) -> int:
        """The host backend's frame number; -1 on the board."""

    @property
    def timestamp(self) -> tuple[int, int]:
        """(sec, usec) of the capture, on the time.time() clock."""

    def release(self) -> None:
        """Gives the framebuffer back to the driver; once only, later calls do nothing."""

    def send(self, sock: _Stream, offset: int, end: int | None = None, chunk_size: int = 4096) -> int:
        """Writes frame[offset:end] in writes of at most chunk_size bytes until end or a write would
        block; the bytes written (0: await writability, call again). OSError(errno) on a socket error."""

    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __del__(self) -> None: ...

class RtpJpeg:
    """RTP/JPEG (RFC 2435) packets of a JPEG frame, written straight from its buffer."""

    ssrc: int
    seq: int  # the next packet's sequence number (0..65535)

    def __init__(self, max_payload: int = 1400) -> None:
        """max_payload: entropy-coded bytes per packet, 64..1460 (else ValueError)."""

    @property
    def sent_packets(self) -> int: ...
    @property
    def sent_bytes(self) -> int:
        """RTP payload octets sent (JPEG headers + data), for RTCP sender reports."""

    def start(
        self,
        buf: ReadableBuffer,
        scan: int,
        end: int,
        jpeg_type: int,
        width: int,
        height: int,
        dri: int,
        qtables: ReadableBuffer,
        timestamp: int,
    ) -> None:
        """Begins a frame: buf[scan:end] is its entropy-coded data (buf may be a Frame); the other
        arguments are what the caller parsed from its JPEG header. ValueError with the reason."""

    def send(self, sock: _Stream, channel: int, /) -> bool:
        """True when the frame is out, False when the socket would block (call again when
        writable). channel: 0..255 TCP interleaved, -1 a connected UDP socket."""
