"""A batch-loss curve that stays bounded however long the run: every k-th step, k doubling."""

from __future__ import annotations


class DownsampledCurve:
    """Keeps steps s with (s - 1) % stride == 0; when full, doubles stride and drops every other.

    The kept steps always form an even grid, so the store can apply the same rule with one
    DELETE and the in-memory and stored curves agree point for point.
    """

    def __init__(self, max_points: int = 2000) -> None:
        self.max_points = max(2, int(max_points))
        self.stride = 1
        self.steps: list[int] = []
        self.losses: list[float] = []

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, step: int, loss: float) -> bool:
        """Record a point if it falls on the grid; True when kept."""
        if (step - 1) % self.stride:
            return False
        if len(self.steps) >= self.max_points:
            self.stride *= 2
            kept = [(s, v) for s, v in zip(self.steps, self.losses, strict=True) if self.keeps(s)]
            self.steps = [s for s, _ in kept]
            self.losses = [v for _, v in kept]
            if not self.keeps(step):
                return False
        self.steps.append(int(step))
        self.losses.append(float(loss))
        return True

    def keeps(self, step: int) -> bool:
        return (step - 1) % self.stride == 0

    def points_after(self, step: int) -> tuple[list[int], list[float]]:
        """The kept points with a step greater than `step` (what a store has not seen yet)."""
        i = len(self.steps)
        while i > 0 and self.steps[i - 1] > step:
            i -= 1
        return self.steps[i:], self.losses[i:]
