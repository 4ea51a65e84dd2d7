"""Active learning of the asymptotic flavor state: which solver runs to spend.

* :mod:`~nulearn.flavor.studies.active.solver`: ``SolverCache``, solver runs in parallel on a
  persistent process pool, remembered on disk so that a rerun costs nothing;
* :mod:`~nulearn.flavor.studies.active.run`: ``ActiveConfig``, ``run_active_study`` (active against
  random selection over seeds, the report and its figure): ``nulearn flavor active``.

The loop itself is pillar-agnostic: :mod:`nulearn.ml.active`.
"""
