"""Studies that combine everything: the reproduction of arXiv:2303.05560 / 2310.03807, the realistic
(transport-derived) study and the deep-MLP study."""
