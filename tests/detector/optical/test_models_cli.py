"""Network shapes, inputs, scores and the ``nulearn detector graph`` commands at tiny sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.detector.optical.data.inputs import grid_assignment, grid_images, node_features
from nulearn.detector.optical.evaluation.metrics import efficiency_at_rejection
from nulearn.detector.optical.models.networks import DynEdgeNet, GridCNN, knn_edges
from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.study.events import load_events, save_events, simulate_events

CFG = OpticalConfig()


def test_knn_edges_stay_inside_events_and_skip_padding() -> None:
    pos = torch.randn(3, 6, 4)
    mask = torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], dtype=torch.bool)
    src, dst = knn_edges(pos, mask, k=4)
    assert ((src // 6) == (dst // 6)).all()
    assert mask.flatten()[src].all() and mask.flatten()[dst].all()
    assert int((dst // 6 == 0).sum()) == 6 * 4 and int((dst // 6 == 1).sum()) == 3 * 4


def test_networks_shapes_and_padding_invariance() -> None:
    torch.manual_seed(0)
    net = DynEdgeNet(width=8, k=3).eval()
    x, mask = torch.randn(2, 5, 5), torch.ones(2, 5, dtype=torch.bool)
    pad_x = torch.cat([x, torch.randn(2, 3, 5)], dim=1)
    pad_mask = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], dim=1)
    (l1, d1), (l2, d2) = net(x, mask), net(pad_x, pad_mask)
    assert l1.shape == (2,) and d1.shape == (2, 3)
    assert torch.allclose(l1, l2, atol=1e-5) and torch.allclose(d1, d2, atol=1e-5)
    logit, direction = GridCNN(width=4)(torch.randn(3, 3, 30, 10, 10))
    assert logit.shape == (3,) and torch.allclose(direction.norm(dim=1), torch.ones(3))


def test_inputs_and_event_files(tmp_path) -> None:
    truth, hits = simulate_events(12, CFG, seed=5)
    x, mask = node_features(hits, CFG, max_hits=32)
    assert x.shape == (12, 32, 5) and (mask.sum(axis=1) == np.minimum(hits.n_hits, 32)).all()
    assert len(set(grid_assignment(CFG, 10).tolist())) == 80
    img = grid_images(hits, CFG, grid=10)
    assert img.shape == (12, 3, 30, 10, 10)
    assert img[:, 2].sum() <= hits.n_hits.sum()
    path = save_events(tmp_path / "ev.npz", truth, hits)
    t2, h2 = load_events(path, CFG)
    assert np.array_equal(t2.kind, truth.kind) and np.array_equal(h2.dom, hits.dom)
    data = dict(np.load(path))
    data["hits_time_ns"][0] = np.nan
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(ValueError, match=r"hits_time_ns .* not finite"):
        load_events(tmp_path / "bad.npz", CFG)


def test_efficiency_at_rejection_of_a_perfect_and_a_useless_score() -> None:
    y = np.array([0] * 500 + [1] * 500)
    assert efficiency_at_rejection(y, y.astype(float), 0.99)[0] == 1.0
    rng = np.random.default_rng(0)
    eff, _ = efficiency_at_rejection(y, rng.random(1000), 0.9)
    assert eff < 0.2
    with pytest.raises(ValueError, match="rejection"):
        efficiency_at_rejection(y, y.astype(float), 1.0)


def test_cli_simulate_and_study(nulearn, tmp_path) -> None:
    events = tmp_path / "ev.npz"
    res = nulearn("detector", "graph", "simulate", "--n", "10", "--out", str(events))
    assert res.exit_code == 0, res.stderr
    assert "simulated 10 events" in res.stdout and events.exists()
    out = tmp_path / "rep"
    res = nulearn(
        "detector",
        "graph",
        "study",
        "--n-train",
        "48",
        "--n-test",
        "40",
        "--epochs",
        "1",
        "--max-hits",
        "16",
        "--width",
        "8",
        "--no-progress",
        "--out",
        str(out),
    )
    assert res.exit_code == 0, res.stderr
    assert "GNN (DynEdge)" in res.stdout and (out / "report.md").exists()
    assert (out / "figures" / "optical_roc.png").exists()
    assert (out / "figures" / "optical_resolution.png").exists()


def test_cli_refusals(nulearn, tmp_path) -> None:
    res = nulearn("detector", "graph", "study", "--n-train", "3", "--out", str(tmp_path / "r"))
    assert res.exit_code == 2 and "n train = 3" in res.stderr
    (tmp_path / "f").write_text("x")
    res = nulearn(
        "detector", "graph", "simulate", "--n", "2", "--out", str(tmp_path / "f" / "e.npz")
    )
    assert res.exit_code == 2 and "nulearn: error" in res.stderr
    res = nulearn(
        "detector",
        "graph",
        "simulate",
        "--n",
        "2",
        "--signal-fraction",
        "1.5",
        "--out",
        str(tmp_path / "e.npz"),
    )
    assert res.exit_code == 2 and "signal fraction" in res.stderr


def test_public_names_resolve_lazily() -> None:
    import subprocess
    import sys

    import nulearn.detector.optical as optical

    assert all(getattr(optical, name) is not None for name in optical.__all__)
    code = "import sys, nulearn.detector.optical\nprint('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_cli_train_then_evaluate(nulearn, tmp_path) -> None:
    train, test = tmp_path / "train.npz", tmp_path / "test.npz"
    assert nulearn("detector", "graph", "simulate", "--n", "24", "--out", train).exit_code == 0
    assert (
        nulearn(
            "detector", "graph", "simulate", "--n", "20", "--seed", "1", "--out", test
        ).exit_code
        == 0
    )
    net = tmp_path / "gnn.pt"
    res = nulearn(
        "detector",
        "graph",
        "train",
        "--data",
        train,
        "--epochs",
        "1",
        "--max-hits",
        "16",
        "--width",
        "8",
        "--out",
        net,
    )
    assert res.exit_code == 0, res.stderr
    preds = tmp_path / "p.csv"
    res = nulearn("detector", "graph", "evaluate", "--model", net, "--data", test, "--out", preds)
    assert res.exit_code == 0, res.stderr
    assert "line fit" in res.stdout and preds.exists()
    res = nulearn(
        "detector",
        "graph",
        "evaluate",
        "--model",
        tmp_path / "no.pt",
        "--data",
        test,
        "--out",
        preds,
    )
    assert res.exit_code == 2 and "no such model file" in res.stderr
    res = nulearn("detector", "graph", "train", "--data", tmp_path / "none.npz", "--out", net)
    assert res.exit_code == 2 and "no such file" in res.stderr
