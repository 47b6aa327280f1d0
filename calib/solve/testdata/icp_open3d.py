#!/usr/bin/python3
"""Open3D point-to-plane ICP on two PCD files, for comparison with rigsync.

Usage: icp_open3d.py SOURCE.pcd TARGET.pcd "16 comma-separated init values (row-major)"
Prints "seconds S" (normal estimation + ICP, as rigsync's ICP does both)
and "T m00 ... m33". Same settings as rigsync's defaults: max distance 1 m,
normals from 20 neighbours within 1 m, up to 60 iterations.
"""
import sys
import time

import numpy as np
import open3d as o3d

src = o3d.io.read_point_cloud(sys.argv[1])
dst = o3d.io.read_point_cloud(sys.argv[2])
init = np.array([float(x) for x in sys.argv[3].split(",")]).reshape(4, 4)
best = 1e9
for _ in range(3):
    d = o3d.geometry.PointCloud(dst)
    t0 = time.perf_counter()
    d.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=1.0, max_nn=20))
    r = o3d.pipelines.registration.registration_icp(
        src, d, 1.0, init, o3d.pipelines.registration.TransformationEstimationPointToPlane(),
        o3d.pipelines.registration.ICPConvergenceCriteria(relative_fitness=1e-8, relative_rmse=1e-8, max_iteration=60))
    best = min(best, time.perf_counter() - t0)
print("seconds", best)
print("T", " ".join(repr(float(x)) for x in r.transformation.ravel()))
print("fitness", r.fitness, "inlier_rmse", r.inlier_rmse)
