"""Segmentation models: the UNet and the classical Hough/timing cosmic tagger."""
