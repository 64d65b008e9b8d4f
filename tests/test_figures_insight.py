"""figures/insight.py (issue 20): what each chart is built from."""

from __future__ import annotations

import numpy as np

from figures import insight


def test_a_digit_becomes_shade_text_for_the_hover_label():
    img = np.zeros((4, 4))
    img[:, :2] = 255  # the left half inked
    assert insight.digit_text(img, 255).split("<br>") == ["████    "] * 4
    big = insight.digit_text(np.full((28, 28), 255), 255, size=10).split("<br>")
    assert len(big) == 10 and all(line == "█" * 20 for line in big)


def test_the_map_moves_points_between_epochs_and_sends_the_rest_once():
    frames = [(1, np.zeros((3, 2))), (2, np.ones((3, 2)))]
    fig = insight.embedding_map(frames, np.array([0, 1, 0]), ["a", "b"], ["x", "y", "z"],
                                ("p", "q"), "map")  # fmt: skip
    assert [list(t.customdata) for t in fig.data] == [[0, 2], [1]]
    assert [list(t.text) for t in fig.data] == [["x", "z"], ["y"]]
    assert [f.name for f in fig.frames] == ["1", "2"]
    moved = fig.frames[0].data[0]
    assert list(moved.x) == [0, 0] and moved.text is None and moved.customdata is None
    assert fig.layout.sliders[0].active == 1


def test_attribution_maps_share_one_scale_each_divided_by_its_largest_value():
    fig = insight.attribution_maps(np.zeros((2, 2)), [("a", np.array([1, -2, 0, 0])),
                                                     ("b", np.array([10, 0, 0, 5]))])  # fmt: skip
    z_a, z_b = (np.asarray(t.z) for t in fig.data[1:])
    np.testing.assert_allclose(z_a.ravel(), [0.5, -1, 0, 0])
    np.testing.assert_allclose(z_b.ravel(), [1, 0, 0, 0.5])
    assert all(t.zmin == -1 and t.zmax == 1 for t in fig.data[1:])


def test_stage_counts_stack_each_class():
    fig = insight.stage_counts(np.array([0, 1, 2, 0]), np.array([0, 0, 1, 1]), ["a", "b"])
    assert [list(b.y) for b in fig.data] == [[1, 1], [1, 0], [0, 1]]
