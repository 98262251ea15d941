# SPDX-License-Identifier: GPL-2.0
"""Paths shared by the ci/ unit tests."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "fixtures")
lib = os.path.join(ROOT, "ci", "lib")
sys.path.insert(0, lib)
sys.path.insert(0, os.path.join(ROOT, "ci"))
