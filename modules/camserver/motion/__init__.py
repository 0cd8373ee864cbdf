"""Motion detection on the camera's own frames (docs/motion.md).

detector.Motion keeps a running-average background of each analysed frame's thumbnail (the
DC of every 8x8 luma block: camera_glue.thumb() on the board, pre-rendered files in the
sim) and turns the changed area into start and stop events; compare.py is the per-block
arithmetic, zones.py the mask of the frame that counts.
"""
