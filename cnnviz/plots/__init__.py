"""Plotly figure builders. ``base`` holds the shared style; each lesson has its own module
(``conv``, ``models``, ``training``, ``ablation``), imported directly by its pages."""

from cnnviz.plots.base import FONT, PALETTE, base_layout, heatmap, image_montage

__all__ = ["FONT", "PALETTE", "base_layout", "heatmap", "image_montage"]
