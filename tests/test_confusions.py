"""The computations behind the Pair lens, the confusion timeline, Run vs run and Draw a digit."""

import numpy as np
import pytest

from netlib import confusions, metrics
from netlib.network import MLP
from netlib.training_data import scale_images


def net(sizes, activation="tanh", seed=0) -> MLP:
    """A random float64 network (float64 so finite differences are accurate)."""
    rng = np.random.default_rng(seed)
    return MLP.create(sizes, activation, "xavier", rng, dtype="float64")


def margin_of(model: MLP, x: np.ndarray, a: int, b: int) -> np.ndarray:
    return metrics.margin(model.logits(x), a, b)


def test_pair_means_are_class_averages_scaled_to_one():
    images = np.zeros((4, 2, 2), np.uint8)
    images[0] = 255
    images[1, 0, 0] = 255
    labels = np.array([4, 4, 9, 1])
    mean_a, mean_b = confusions.pair_means(images, labels, 4, 9, 255)
    np.testing.assert_allclose(mean_a, [[1.0, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(mean_b, np.zeros((2, 2)))
    _, missing = confusions.pair_means(images, labels, 4, 7, 255)
    assert np.isnan(missing).all()


def test_pair_margins_split_logit_differences_by_true_class():
    logits = np.array([[0.0, 2.0, 1.0], [0.0, -1.0, 3.0], [5.0, 0.0, 0.0], [0.0, 1.0, 1.5]])
    labels = np.array([1, 2, 0, 2])
    on_a, on_b = confusions.pair_margins(logits, labels, 1, 2)
    np.testing.assert_allclose(on_a, [1.0])
    np.testing.assert_allclose(on_b, [-4.0, -0.5])


def test_saliency_used_by_the_lens_matches_finite_differences():
    model = net([12, 7, 5], seed=1)
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(40, 3, 4)).astype(np.uint8)
    labels = rng.integers(0, 5, size=40)
    logits = model.logits(scale_images(images, 255, "float64"))
    proba = metrics.probabilities(model, scale_images(images, 255, "float64"))
    off = metrics.confusion_matrix(labels, logits.argmax(axis=1), 5) * (1 - np.eye(5, dtype=int))
    a, b = (int(v) for v in np.unravel_index(off.argmax(), off.shape))  # the commonest mistake
    s = confusions.study_pair(model, images, labels, logits, proba, 255, a, b, tiles=3)
    assert len(s.a_as_b) > 0
    x = scale_images(images[s.a_as_b[:3]], 255, "float64")
    eps = 1e-6
    for n in range(len(x)):
        for i in (0, 5, 11):
            up, down = x[n : n + 1].copy(), x[n : n + 1].copy()
            up[0, i] += eps
            down[0, i] -= eps
            fd = (margin_of(model, up, a, b) - margin_of(model, down, a, b))[0] / (2 * eps)
            assert s.saliency_a_as_b[n, i] == pytest.approx(fd, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_margin_gradient_wrt_first_hidden_layer_matches_finite_differences(activation):
    model = net([6, 5, 4, 3], activation, seed=3)
    x = np.random.default_rng(4).normal(size=(3, 6))
    h, grad = confusions.first_layer_margin_gradient(model, x, 2, 0)

    def margin_from_h(h1):  # the rest of the network, from the first hidden activations
        rest = MLP(model.weights[1:], model.biases[1:], activation)
        return metrics.margin(rest.logits(h1), 2, 0)

    eps = 1e-6
    for j in range(5):
        up, down = h.copy(), h.copy()
        up[:, j] += eps
        down[:, j] -= eps
        fd = (margin_from_h(up) - margin_from_h(down)) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-5, atol=1e-8)


def test_one_hidden_layer_contributions_are_h_times_weight_difference_and_add_up():
    model = net([6, 5, 4], seed=5)
    x = np.random.default_rng(6).normal(size=(8, 6))
    c = confusions.unit_contributions(model, x, 1, 3)
    h = model.hidden_activations(x)[0]
    w2 = model.weights[1]
    np.testing.assert_allclose(c, h * (w2[:, 1] - w2[:, 3]))
    bias = model.biases[1][1] - model.biases[1][3]
    np.testing.assert_allclose(c.sum(axis=1) + bias, margin_of(model, x, 1, 3))


def test_separating_unit_scores_split_the_gap_between_the_two_classes_margins():
    model = net([6, 5, 4], seed=7)
    x = np.random.default_rng(8).normal(size=(30, 6))
    labels = np.arange(30) % 2 * 2  # classes 0 and 2
    units = confusions.separating_units(model, x, labels, 0, 2, top=5)
    assert sorted(units.units.tolist()) == list(range(5))
    assert np.all(np.diff(units.score) <= 0)  # best separator first
    np.testing.assert_allclose(units.score, units.on_a - units.on_b)
    m = margin_of(model, x, 0, 2)
    gap = m[labels == 0].mean() - m[labels == 2].mean()
    assert units.score.sum() == pytest.approx(gap)
    top2 = confusions.separating_units(model, x, labels, 0, 2, top=2)
    np.testing.assert_array_equal(top2.units, units.units[:2])


def test_no_hidden_layer_gives_no_units_but_a_weight_difference_map():
    model = net([6, 4], seed=9)
    x = np.zeros((4, 6))
    assert confusions.separating_units(model, x, np.array([0, 1, 0, 1]), 0, 1) is None
    np.testing.assert_allclose(
        confusions.weight_difference(model, 3, 1), model.weights[0][:, 3] - model.weights[0][:, 1]
    )
    with pytest.raises(ValueError, match="no hidden layer"):
        confusions.first_layer_margin_gradient(model, x, 0, 1)
    # and a class with no sample has nothing to rank by
    assert confusions.separating_units(net([6, 5, 4]), x, np.zeros(4, int), 0, 1) is None


def test_study_pair_finds_the_confused_samples_each_way():
    rng = np.random.default_rng(10)
    images = rng.integers(0, 17, size=(60, 2, 3)).astype(np.uint8)
    labels = rng.integers(0, 3, size=60)
    model = net([6, 3], seed=11)
    x = scale_images(images, 16, "float64")
    logits = model.logits(x)
    proba = metrics.probabilities(model, x)
    s = confusions.study_pair(model, images, labels, logits, proba, 16, 0, 2, tiles=2)
    pred = logits.argmax(axis=1)
    np.testing.assert_array_equal(s.a_as_b, metrics.cell_samples(labels, pred, proba, 0, 2))
    np.testing.assert_array_equal(s.b_as_a, metrics.cell_samples(labels, pred, proba, 2, 0))
    assert len(s.margins_a) == (labels == 0).sum() and len(s.margins_b) == (labels == 2).sum()
    assert s.saliency_a_as_b.shape == (min(2, len(s.a_as_b)), 6)
    assert s.units is None and s.weight_diff.shape == (6,)


def test_pair_timeline_reads_both_off_diagonal_cells_of_every_epoch():
    cms = {2: np.array([[5, 1], [3, 4]]), 1: np.array([[2, 4], [6, 1]])}
    epochs, ab, ba = confusions.pair_timeline(cms, 0, 1)
    assert epochs.tolist() == [1, 2] and ab.tolist() == [4, 1] and ba.tolist() == [6, 3]
    e, _, _ = confusions.pair_timeline({}, 0, 1)
    assert len(e) == 0


def test_resolve_pair_defaults_to_4_and_9_and_repairs_bad_pairs():
    cm = np.eye(10, dtype=int) * 10
    cm[7, 1] = 5
    cm[2, 7] = 3
    assert confusions.resolve_pair(None, cm) == (4, 9)
    assert confusions.resolve_pair((3, 5), cm) == (3, 5)
    assert confusions.resolve_pair(("3", 5.0), cm) == (3, 5)
    assert confusions.resolve_pair((7, 7), cm) == (7, 1)  # a diagonal click: its worst partner
    assert confusions.resolve_pair((12, 3), cm) == (4, 9)
    assert confusions.resolve_pair("junk", cm) == (4, 9)
    small = np.array([[9, 0, 1], [0, 9, 4], [0, 2, 9]])
    assert confusions.resolve_pair(None, small) == (1, 2)  # no class 9: the most confused pair
    assert confusions.partner_class(np.eye(3, dtype=int), 2) == 0


def test_diff_cells_on_a_constructed_case():
    y = np.array([4, 4, 4, 9, 9, 1, 7, 7])
    a = np.array([9, 9, 4, 9, 4, 1, 1, 7])  # A: two 4->9, one 9->4, one 7->1
    b = np.array([4, 9, 9, 4, 9, 1, 2, 1])  # B: fixes a 4->9 and the 9->4, breaks a 4, 9, 7
    fixed, intro = metrics.fixed_and_introduced(y, a, b, 10)
    assert fixed[4, 9] == 1 and fixed[9, 4] == 1 and fixed.sum() == 2
    assert intro[4, 9] == 1 and intro[9, 4] == 1 and intro[7, 1] == 1 and intro.sum() == 3
    assert confusions.diff_cell_samples(y, a, b, 4, 9, confusions.FIXED).tolist() == [0]
    assert confusions.diff_cell_samples(y, a, b, 9, 4, confusions.FIXED).tolist() == [4]
    assert confusions.diff_cell_samples(y, a, b, 4, 9, confusions.INTRODUCED).tolist() == [2]
    assert confusions.diff_cell_samples(y, a, b, 7, 1, confusions.INTRODUCED).tolist() == [7]
    # wrong in both (sample 6: 7->1 then 7->2) is neither fixed nor introduced
    assert confusions.diff_cell_samples(y, a, b, 7, 1, confusions.FIXED).tolist() == []
    with pytest.raises(ValueError):
        confusions.diff_cell_samples(y, a, b, 4, 9, 2)


def test_diff_cell_samples_agree_with_the_matrices_cell_by_cell():
    rng = np.random.default_rng(12)
    y, a, b = (rng.integers(0, 4, size=300) for _ in range(3))
    fixed, intro = metrics.fixed_and_introduced(y, a, b, 4)
    for t in range(4):
        for p in range(4):
            assert len(confusions.diff_cell_samples(y, a, b, t, p, confusions.FIXED)) == fixed[t, p]
            assert (
                len(confusions.diff_cell_samples(y, a, b, t, p, confusions.INTRODUCED))
                == intro[t, p]
            )


def test_explain_input_gives_the_networks_probabilities_and_activations():
    model = net([6, 5, 3, 4], "relu", seed=13)
    x = np.random.default_rng(14).random(6)
    proba, acts = confusions.explain_input(model, x)
    np.testing.assert_allclose(proba, metrics.probabilities(model, x[None])[0])
    assert proba.sum() == pytest.approx(1.0)
    assert [a.shape for a in acts] == [(5,), (3,)]
    np.testing.assert_allclose(acts[1], model.hidden_activations(x[None])[1][0])
    proba_ll, acts0 = confusions.explain_input(net([6, 4]), x, "log_loss")
    assert proba_ll.sum() == pytest.approx(1.0) and acts0 == []
