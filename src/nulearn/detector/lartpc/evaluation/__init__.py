"""Segmentation scores: confusion, per-class IoU, pixel accuracy on charged pixels, targets."""
