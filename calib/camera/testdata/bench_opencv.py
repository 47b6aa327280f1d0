#!/usr/bin/python3
"""Time OpenCV projectPoints / fisheye.projectPoints on 1M points, one thread.

Usage: bench_opencv.py N   -> prints "model points_per_second" lines.
Parameters match models() in camera_test.go.
"""
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
rng = np.random.default_rng(1)
P = np.stack([rng.uniform(-0.6, 0.6, n), rng.uniform(-0.4, 0.4, n), np.ones(n)], 1) * rng.uniform(0.5, 20, (n, 1))
P = P.reshape(-1, 1, 3)
K = np.array([[700, 0, 640], [0, 690, 360], [0, 0, 1]], dtype=np.float64)
D = {
    "plumb_bob": np.array([-0.3691481, 0.1968681, 0.001353473, 0.0005677587, -0.06770705]),
    "rational": np.array([0.5463702082633972, -2.601414203643799, 0.0008451102185063064, -0.0003721700340975076,
                          1.4684650897979736, 0.42450839281082153, -2.430366039276123, 1.4001946449279785]),
}
z = np.zeros(3)
for name, d in D.items():
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        cv2.projectPoints(P, z, z, K, d)
        best = min(best, time.perf_counter() - t0)
    print(name, n / best)
kd = np.array([-0.0014613319981768, -0.00329861110580401, 0.00605760088590183, -0.00374209380722371])
best = 1e9
for _ in range(3):
    t0 = time.perf_counter()
    cv2.fisheye.projectPoints(P, z.reshape(3, 1), z.reshape(3, 1), K, kd)
    best = min(best, time.perf_counter() - t0)
print("equidistant", n / best)
