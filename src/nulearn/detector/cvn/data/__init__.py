"""Data of the CVN: DUNE pixel maps and their truth (:mod:`~nulearn.detector.cvn.data.pixel_maps`),
hand-made features of the full-resolution maps (:mod:`~nulearn.detector.cvn.data.features`) and
training-time augmentation (:mod:`~nulearn.detector.cvn.data.augmentation`)."""
