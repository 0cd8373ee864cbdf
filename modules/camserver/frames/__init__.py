"""Frames from the camera to every sender, whatever the protocol.

hub.py (FrameHub): the grabber task, which publishes the newest frame, paces the camera, offers
frames to motion detection and drives the recovery ladder when the camera stalls. buffers.py:
the one owner of the camera's frame buffers (who gives one back, and when). viewer.py: the
viewer contract the hub sees of a stream client. The MJPEG stream (app/) and RTSP (rtsp/) both
import this package; it imports neither.
"""
