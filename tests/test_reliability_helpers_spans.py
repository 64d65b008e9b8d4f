"""most_at_once: how many (start, end) spans overlap at once."""

from reliability_helpers import most_at_once


def test_spans_that_touch_end_to_start_do_not_overlap():
    assert most_at_once([]) == 0
    assert most_at_once([(0, 1), (1, 2), (2, 3)]) == 1
    assert most_at_once([(0, 2), (1, 3), (1.5, 1.6)]) == 3
    assert most_at_once([(0, 10), (1, 2), (3, 4), (5, 6)]) == 2
