"""Render the simulated camera's JPEG frames (CPython + Pillow, run at setup).

Usage: python tools/render_frames.py OUT_DIR

Writes OUT_DIR/<framesize>_<band>/<n>.jpg and OUT_DIR/manifest.json (format in
docs/camera-interface.md), each frame's luma thumbnail beside it as <n>.thb (the DC of every
8x8 block, what camera_glue.thumb() gives on the board: MicroPython cannot decode JPEG), and
the motion test scene (sim_motion) in OUT_DIR/motion. The scene is a test card a person reads at a glance:
colour bars sliding sideways, a frame counter and a running clock, over fine
sensor-like noise so the JPEG sizes match a real OV2640 (UXGA 100-160 kB at
good quality). Every frame of a set is distinct. Output is deterministic.
"""

import json
import math
import os
import random
import sys
import zlib

from PIL import Image, ImageChops, ImageDraw, ImageFont

FPS = 25
COUNT = 32  # frames per set: 1.28 s of motion at 25 fps, then the loop repeats
SIZES = {6: ("QVGA", 320, 240), 10: ("VGA", 640, 480), 11: ("SVGA", 800, 600), 15: ("UXGA", 1600, 1200)}
# Camera quality band -> Pillow JPEG quality (see docs/camera-interface.md).
NOISE = 7  # peak-to-peak noise amplitude, tuned so UXGA band 10 lands at 100-160 kB
BANDS = {10: 85, 30: 50}
BARS = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192)]


def noise_layer(width, height, seed):
    """Grey noise the size of the frame: what keeps a real sensor's JPEGs large."""
    rnd = random.Random(seed)
    raw = Image.frombytes("L", (width, height), rnd.randbytes(width * height))
    return raw.point(lambda v: v * NOISE // 256)


def render(width, height, n, noise):
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    bar_w = width / len(BARS)
    shift = int(n * width / COUNT)  # one full slide per loop
    for i, colour in enumerate(BARS):
        x0 = (int(i * bar_w) + shift) % width
        draw.rectangle([x0, 0, x0 + int(bar_w), height * 2 // 3], fill=colour)
        if x0 + bar_w > width:
            draw.rectangle([0, 0, x0 + int(bar_w) - width, height * 2 // 3], fill=colour)
    for x in range(width):  # a grey ramp under the bars
        g = x * 255 // width
        draw.line([x, height * 2 // 3, x, height], fill=(g, g, g))
    # Low-amplitude sensor noise, fixed per pixel (moving bars keep every frame distinct).
    img = ImageChops.add(img, Image.merge("RGB", (noise, noise, noise)), scale=1.0, offset=-NOISE // 2)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(12, height // 8))
    seconds = n / FPS
    text = "%04d  %02d:%05.2f" % (n, int(seconds // 60), seconds % 60)
    box = draw.textbbox((0, 0), text, font=font)
    tx = (width - (box[2] - box[0])) // 2
    ty = height * 2 // 3 - (box[3] - box[1]) // 2
    draw.rectangle([tx - 8, ty - 8, tx + box[2] - box[0] + 8, ty + box[3] + 8], fill=(0, 0, 0))
    draw.text((tx, ty), text, font=font, fill=(255, 255, 255))
    # A ball that circles the frame: motion anywhere on the page is seen at once.
    r = max(6, height // 20)
    cx = int(width / 2 + width / 3 * math.cos(2 * math.pi * n / COUNT))
    cy = int(height / 3 + height / 4 * math.sin(2 * math.pi * n / COUNT))
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255), outline=(0, 0, 0))
    return img


def thumbnail(path):
    """The 1/8-scale luma image of a JPEG: libjpeg's 1/8 scaled decode is the DC of each
    block (no colour conversion in YCbCr mode)."""
    img = Image.open(path)
    img.draft("YCbCr", ((img.width + 7) // 8, (img.height + 7) // 8))
    return img.getchannel(0).tobytes()


def write_frame(img, folder, n, pil_quality):
    """img as folder/n.jpg and its thumbnail as folder/n.thb; the manifest row."""
    path = os.path.join(folder, "%d.jpg" % n)
    img.save(path, "JPEG", quality=pil_quality)
    with open(path, "rb") as f:
        data = f.read()
    with open(os.path.join(folder, "%d.thb" % n), "wb") as f:
        f.write(thumbnail(path))
    return {"index": n, "len": len(data), "crc32": zlib.crc32(data)}


# The motion scene (sim_motion=PERIOD:DURATION, camera/sim_motion.py): a still room whose
# exposure drifts and whose sensor noise changes every frame, and the same room with a
# figure walking across it. VGA only: it is for the motion tests, not for viewing.
MOTION_SIZE = (640, 480)
MOTION_STILL = 16  # one a half second: the exposure drifts through a cycle in 8 s
MOTION_MOVING = 15  # the walk across, spread over DURATION
MOTION_DRIFT = 0.06  # +-6 % exposure


def room(width, height):
    img = Image.new("RGB", (width, height), (150, 140, 120))
    draw = ImageDraw.Draw(img)
    for y in range(height // 2, height):  # a floor a little darker towards the camera
        g = 110 - (y - height // 2) * 40 // height
        draw.line([0, y, width, y], fill=(g, g - 10, g - 20))
    window = [width // 10, height // 8, width * 4 // 10, height * 4 // 10]
    table = [width * 6 // 10, height * 4 // 10, width * 9 // 10, height * 6 // 10]
    draw.rectangle(window, fill=(200, 210, 225))
    draw.rectangle(table, fill=(90, 60, 40))
    return img


def motion_frames(width, height):
    base = room(width, height)
    rnd = random.Random(22)
    frames = []
    for n in range(MOTION_STILL + MOTION_MOVING):
        img = base.copy()
        gain = 1.0
        if n < MOTION_STILL:
            gain = 1 + MOTION_DRIFT * math.sin(2 * math.pi * n / MOTION_STILL)
        else:
            k = n - MOTION_STILL
            x = width // 20 + k * (width * 3 // 4) // (MOTION_MOVING - 1)
            draw = ImageDraw.Draw(img)
            draw.rectangle([x, height // 3, x + width // 6, height * 9 // 10], fill=(40, 45, 60))  # a figure
            draw.ellipse([x + width // 24, height // 6, x + width // 8, height // 3], fill=(180, 140, 120))
        img = img.point(lambda v, g=gain: min(255, int(v * g)))
        raw = Image.frombytes("L", (width, height), rnd.randbytes(width * height))
        noise = raw.point(lambda v: v * NOISE // 256)  # fresh sensor noise every frame
        noise = Image.merge("RGB", (noise, noise, noise))
        frames.append(ImageChops.add(img, noise, scale=1.0, offset=-NOISE // 2))
    return frames


def main(out):
    manifest = {"fps": FPS, "count": COUNT, "bands": sorted(BANDS), "sets": {}}
    for framesize, (name, width, height) in SIZES.items():
        noise = noise_layer(width, height, framesize)
        frames = [render(width, height, n, noise) for n in range(COUNT)]
        for band, pil_quality in BANDS.items():
            key = "%d_%d" % (framesize, band)
            folder = os.path.join(out, key)
            os.makedirs(folder, exist_ok=True)
            rows = [write_frame(img, folder, n, pil_quality) for n, img in enumerate(frames)]
            manifest["sets"][key] = {
                "key": key,
                "framesize": framesize,
                "name": name,
                "band": band,
                "width": width,
                "height": height,
                "frames": rows,
            }
            sizes = [r["len"] for r in rows]
            line = "%s %-4s band %d: %d frames, %d..%d bytes" % (
                key,
                name,
                band,
                len(rows),
                min(sizes),
                max(sizes),
            )
            print(line)
    folder = os.path.join(out, "motion")
    os.makedirs(folder, exist_ok=True)
    frames = motion_frames(*MOTION_SIZE)
    manifest["motion"] = {
        "key": "motion",
        "framesize": 10,
        "name": "VGA",
        "band": 10,
        "width": MOTION_SIZE[0],
        "height": MOTION_SIZE[1],
        "still": MOTION_STILL,
        "moving": MOTION_MOVING,
        "frames": [write_frame(img, folder, n, BANDS[10]) for n, img in enumerate(frames)],
    }
    print("motion VGA: %d still, %d moving frames" % (MOTION_STILL, MOTION_MOVING))
    tmp = os.path.join(out, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f)
    os.replace(tmp, os.path.join(out, "manifest.json"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/frames")
