#!/bin/bash
# Installs the Debian packages the tests drive (chromium, ffmpeg, curl, GStreamer's
# multipartdemux and rtspsrc, mosquitto (the MQTT broker of tests/mqtt) and openssl (its TLS test's certificate), valgrind for the instruction counts, and gcc/cmake for the
# C send-loop tests and board checks) when they are
# missing: with apt-get when running as root (as CI does), otherwise stops with
# the exact command to run. A missing tool never turns into a skipped test.
set -e
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v gst-launch-1.0 >/dev/null 2>&1 || missing+=(gstreamer1.0-tools)
gst_plugin() { command -v gst-inspect-1.0 >/dev/null 2>&1 && gst-inspect-1.0 "$1" >/dev/null 2>&1; }
gst_plugin multipartdemux || missing+=(gstreamer1.0-plugins-good)
gst_plugin jpegdec || missing+=(gstreamer1.0-plugins-good)
gst_plugin rtspsrc || missing+=(gstreamer1.0-plugins-good)  # RTSP client tests (tests/rtsp)
gst_plugin rtpjpegdepay || missing+=(gstreamer1.0-plugins-good)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "error: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
