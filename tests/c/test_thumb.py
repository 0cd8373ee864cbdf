"""The JPEG DC thumbnail (components/camera_glue/cg_thumb.c) under AddressSanitizer and UBSan.

Pillow writes the frames (the simulated camera's scene, at several qualities, 4:2:2 and
4:2:0, with and without restart intervals, and sizes that are and are not whole MCUs) and
decodes them fully; each block's mean of that decode is the reference the C thumbnail must
match within a small tolerance (test_thumb.c). Frames Pillow writes that the decoder must
refuse (progressive, tables left out, four components) are listed with a word of the reason;
test_thumb.c adds one-byte hostile headers, every cut of a small frame and a few thousand
deterministic mutations. gcc missing fails the test.
"""

import os
import random
import sys

from PIL import Image
from test_send_loop import GLUE, HERE, build, run

ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import render_frames  # noqa: E402 - the sim's own scene, from tools/

# name -> (width, height, Pillow save options)
CASES = {
    "q85_420_vga": (640, 480, {"quality": 85, "subsampling": 2}),
    "q85_422_vga": (640, 480, {"quality": 85, "subsampling": 1}),
    "q12_422_vga": (640, 480, {"quality": 12, "subsampling": 1}),
    "q97_420_vga": (640, 480, {"quality": 97, "subsampling": 2}),
    "q50_420_rst_vga": (640, 480, {"quality": 50, "subsampling": 2, "restart_marker_blocks": 3}),
    "q70_422_rstrows_vga": (640, 480, {"quality": 70, "subsampling": 1, "restart_marker_rows": 1}),
    "q50_420_small": (200, 152, {"quality": 50, "subsampling": 2}),  # not whole 16x16 MCUs
    "q85_422_rst_small": (200, 152, {"quality": 85, "subsampling": 1, "restart_marker_blocks": 1}),
    "q60_444_qvga": (320, 240, {"quality": 60, "subsampling": 0}),
    "q75_gray_qvga": (320, 240, {"quality": 75, "gray": True}),
    "q85_420_uxga": (1600, 1200, {"quality": 85, "subsampling": 2}),
}
REFUSED = {
    "progressive": ({"quality": 80, "progressive": True}, "progressive"),
    "no_tables": ({"quality": 80, "streamtype": 2}, "missing"),
    "cmyk": ({"quality": 80, "cmyk": True}, "components"),
}


def scene(width, height, n):
    noise = render_frames.noise_layer(width, height, n)
    return render_frames.render(width, height, n, noise)


def block_means(path):
    """Pillow's full decode of the luma plane (no colour conversion), averaged over 8x8 blocks,
    and which blocks to compare: not those with a pixel at 0 or 255, where the decoder clamped
    what the IDCT gave (low qualities ring past the range at sharp edges), which the DC
    (the mean before clamping) does not see."""
    img = Image.open(path)
    img.draft("YCbCr" if img.mode == "RGB" else img.mode, None)
    luma = img.convert("YCbCr").getchannel(0) if img.mode != "L" else img
    luma.load()
    w, h = luma.size
    px = luma.tobytes()
    tw, th = (w + 7) // 8, (h + 7) // 8
    out = bytearray(tw * th)
    compare = bytearray(tw * th)
    for by in range(th):
        for bx in range(tw):
            total = 0
            clamped = False
            for y in range(by * 8, by * 8 + 8):
                row = px[y * w + bx * 8 : y * w + bx * 8 + 8]
                total += sum(row)
                clamped = clamped or 0 in row or 255 in row
            out[by * tw + bx] = (total + 32) // 64
            compare[by * tw + bx] = 0 if clamped else 1
    return tw, th, bytes(out), bytes(compare)


def write_frames(folder):
    with open(os.path.join(folder, "cases.txt"), "w") as cases:
        for n, (name, (w, h, opts)) in enumerate(CASES.items()):
            opts = dict(opts)
            img = scene(w, h, n * 3)
            if opts.pop("gray", False):
                img = img.convert("L")
            path = os.path.join(folder, name + ".jpg")
            img.save(path, "JPEG", **opts)
            tw, th, ref, compare = block_means(path)
            with open(os.path.join(folder, name + ".ref"), "wb") as f:
                f.write(ref)
            with open(os.path.join(folder, name + ".cmp"), "wb") as f:
                f.write(compare)
            cases.write("%s %d %d\n" % (name, tw, th))
    rnd = random.Random(22)
    with open(os.path.join(folder, "refused.txt"), "w") as refused:
        for name, (opts, words) in REFUSED.items():
            opts = dict(opts)
            img = scene(160, 120, rnd.randrange(32))
            if opts.pop("cmyk", False):
                img = img.convert("CMYK")
            img.save(os.path.join(folder, name + ".jpg"), "JPEG", **opts)
            refused.write("%s %s\n" % (name, words))


def test_thumbnail_matches_pillow_and_refuses_bad_data(tmp_path):
    # Block sizes that are not whole 8x8 blocks would make Pillow's means differ: every case is.
    for w, h, _ in CASES.values():
        assert w % 8 == 0 and h % 8 == 0
    write_frames(str(tmp_path))
    sources = [os.path.join(HERE, "test_thumb.c"), os.path.join(GLUE, "cg_thumb.c")]
    exe = build(tmp_path, "test_thumb", sources)
    run(exe, str(tmp_path))
