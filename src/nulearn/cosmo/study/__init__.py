"""The cosmology study: its steps as the ``nulearn cosmo`` commands run them
(:mod:`~nulearn.cosmo.study.run`) and the report sections (:mod:`~nulearn.cosmo.study.report`)."""
