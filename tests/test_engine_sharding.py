"""Sharded steps of convolutional stacks (netlib.sharding) and the fused ReLU + max-pool step:
the same numbers as the plain path, bit for bit across worker counts, BLAS left as found."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib import layer_stack
from netlib.blas import blas_threads
from netlib.config import NetConfig
from netlib.sharding import ShardedStack, shardable
from netlib.trainer import BatchEvent, Trainer
from netlib.training_data import prepare

DATA = synthetic_dataset()


def _cfg(**changes):
    base = NetConfig(
        dataset="synthetic", layers="conv4k3same pool2 dropout0.2 conv6k3 dense16",
        epochs=2, batch_size=45, seed=5, l2=1e-3, augment_shift=1,
    )  # fmt: skip
    return base.replace(**changes)


def _train(cfg, workers, listeners=()):
    data = prepare(DATA, cfg.val_fraction, cfg.seed, cfg.dtype)
    trainer = Trainer(cfg, data, list(listeners), workers=workers)
    end = trainer.run()
    assert end.status == "finished", end.reason
    return trainer


def _stack(text="conv3k3 pool2 conv4k3 dense8", seed=0, dtype="float64"):
    return layer_stack.build(
        text, (1, 12, 12), 10, "relu", "he", np.random.default_rng(seed), dtype
    )


def test_the_weights_do_not_depend_on_the_number_of_workers():
    # dropout, l2, shifts and a short last batch (540 training rows in batches of 45 -> 12,
    # plus validation): every source of difference a sharded step has
    one, two = _train(_cfg(), 1), _train(_cfg(), 2)
    for a, b in zip(one.net.params(), two.net.params(), strict=True):
        np.testing.assert_array_equal(a, b)
    again = _train(_cfg(seed=6), 2)
    assert not np.array_equal(again.net.params()[0], two.net.params()[0])


def test_sharded_gradients_are_the_whole_batch_gradients():
    net = _stack()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 144))
    d = rng.normal(size=(9, 10))
    logits, cache = net.forward(x, train=True)
    want, _ = net.backward(cache, d, l2=0.01)
    with ShardedStack(net, workers=2) as sharded:
        got_logits, got_cache = sharded.forward_train(x, rng)
        got = sharded.backward(got_cache, d, l2=0.01)
        np.testing.assert_allclose(got_logits, logits, rtol=1e-12, atol=1e-12)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        # a parameter array replaced (not updated in place) is what the next step uses
        net.layers[0].W = net.layers[0].W * 2.0
        assert not np.allclose(sharded.forward_train(x, rng)[0], logits)
        np.testing.assert_allclose(
            sharded.forward_train(x, rng)[0], net.forward(x, True)[0], rtol=1e-12, atol=1e-12
        )


def test_a_batch_of_one_row_is_one_shard():
    net = _stack()
    x = np.random.default_rng(2).normal(size=(1, 144))
    with ShardedStack(net, workers=2) as sharded:
        logits, (bounds, _) = sharded.forward_train(x, np.random.default_rng(0))
    assert bounds == [(0, 1)] and logits.shape == (1, 10)


def test_sharded_inference_matches_the_plain_chunks():
    net = _stack(dtype="float32")
    net.eval_rows = lambda: 7  # several chunks for 30 images
    x = np.random.default_rng(3).random((30, 144), dtype=np.float32)
    with ShardedStack(net, workers=2) as sharded:
        got = sharded.logits(x)
    want = net.logits(x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got.argmax(1), want.argmax(1))


def test_only_convolutional_stacks_without_batch_norm_are_sharded():
    assert shardable(_stack())
    assert not shardable(_stack("conv3k3 bn pool2 dense8"))
    assert not shardable(_stack("dense8 dropout0.1 dense8"))
    with pytest.raises(ValueError, match="cannot be sharded"):
        ShardedStack(_stack("conv3k3 bn dense8"))


def test_blas_gets_one_thread_per_worker_while_training_and_its_setting_back():
    before = blas_threads(2)
    if before is None:
        pytest.skip("numpy's OpenBLAS is not reachable here")
    seen = []
    try:
        _train(
            _cfg(epochs=1),
            2,
            [lambda e: seen.append(blas_threads()) if isinstance(e, BatchEvent) else None],
        )
        assert set(seen) == {1}
        assert blas_threads() == 2
        seen.clear()
        _train(
            _cfg(epochs=1),
            1,
            [lambda e: seen.append(blas_threads()) if isinstance(e, BatchEvent) else None],
        )
        assert set(seen) == {2}  # one worker leaves BLAS alone
    finally:
        blas_threads(before)


def test_fused_relu_and_max_pool_give_the_layer_by_layer_numbers():
    # Zero borders make many exact ties in the pooled windows (conv output = bias there).
    net = _stack("conv3k3same pool2 conv4k3same pool2 dense8", dtype="float32")
    assert net._fused  # both ReLU + pool pairs
    rng = np.random.default_rng(4)
    x = np.zeros((6, 1, 12, 12), np.float32)
    x[:, :, 3:9, 3:9] = rng.random((6, 1, 6, 6), dtype=np.float32)
    d = rng.normal(size=(6, 10)).astype(np.float32)
    logits, cache = net.forward(x, train=True)
    grads, dx = net.backward(cache, d, input_grad=True)
    plain = net.copy()
    plain._fused = set()
    want_logits, want_cache = plain.forward(x, train=True)
    want, want_dx = plain.backward(want_cache, d, input_grad=True)
    np.testing.assert_array_equal(logits, want_logits)
    for g, w in zip(grads, want, strict=True):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(dx, want_dx)
