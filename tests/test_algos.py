"""Advantages, loss aggregation, clipping and KL estimators against hand-computed values."""

import math

import pytest
import torch

from reasoner.algos import aggregate, clipped_policy_loss, group_relative, kl_penalty
from reasoner.algos.advantages import broadcast_to_tokens


def test_group_relative_mean_std():
    adv = group_relative(torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 1.0]), 2, eps=0.0 + 1e-12)
    s = 0.5 / math.sqrt(0.5)  # unbiased std of {1, 0} is sqrt(0.5)
    assert torch.allclose(adv, torch.tensor([s, -s, -s, s, 0.0, 0.0]), atol=1e-6)


def test_group_relative_eps_and_no_std():
    r = torch.tensor([3.0, 1.0, 2.0, 2.0])
    assert torch.allclose(group_relative(r, 4, normalize_std=False), torch.tensor([1.0, -1.0, 0.0, 0.0]))
    std = torch.tensor([3.0, 1.0, 2.0, 2.0]).std()
    assert torch.allclose(group_relative(r, 4, eps=0.5), (r - 2.0) / (std + 0.5))
    biased = torch.tensor([3.0, 1.0, 2.0, 2.0]).std(unbiased=False)
    assert torch.allclose(group_relative(r, 4, eps=0.0, unbiased_std=False), (r - 2.0) / biased)


def test_group_relative_rejects_ragged():
    with pytest.raises(ValueError, match="groups of 3"):
        group_relative(torch.zeros(4), 3)


def test_broadcast_to_tokens():
    mask = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    assert torch.equal(broadcast_to_tokens(torch.tensor([2.0, -1.0]), mask),
                       torch.tensor([[0.0, 2.0, 2.0], [-1.0, 0.0, 0.0]]))


LOSS = torch.tensor([[1.0, 2.0, 3.0], [4.0, 9.0, 9.0]])
MASK = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("mode,expected", [
    ("token-mean", 10 / 4),
    ("seq-mean-token-mean", (2.0 + 4.0) / 2),
    ("seq-mean-token-sum", (6.0 + 4.0) / 2),
    ("seq-mean-token-sum-norm", 10 / (2 * 5)),
])
def test_aggregation_modes(mode, expected):
    assert aggregate(LOSS, MASK, mode, norm_len=5) == pytest.approx(expected)


@pytest.mark.parametrize("mode", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                                  "seq-mean-token-sum-norm"])
def test_aggregation_micro_batches_sum_to_whole(mode):
    torch.manual_seed(0)
    loss = torch.randn(6, 5)
    mask = (torch.rand(6, 5) > 0.3).float()
    mask[:, 0] = 1
    whole = aggregate(loss, mask, mode, norm_len=7)
    kw = dict(norm_len=7, num_tokens=float(mask.sum()), num_seqs=6.0)
    parts = aggregate(loss[:2], mask[:2], mode, **kw) + aggregate(loss[2:], mask[2:], mode, **kw)
    assert parts == pytest.approx(float(whole), abs=1e-6)


def test_aggregation_unknown_mode():
    with pytest.raises(ValueError, match="unknown loss aggregation"):
        aggregate(LOSS, MASK, "mean")


def test_kl_estimators_hand_computed():
    logp, ref = torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)])
    lr = math.log(0.5)  # log(ref / p)
    assert kl_penalty(logp, ref, "k1").item() == pytest.approx(-lr)
    assert kl_penalty(logp, ref, "k2").item() == pytest.approx(0.5 * lr * lr)
    assert kl_penalty(logp, ref, "k3").item() == pytest.approx(math.exp(lr) - 1 - lr)
    same = kl_penalty(logp, logp, "k3")
    assert same.item() == 0.0
    with pytest.raises(ValueError, match="unknown KL"):
        kl_penalty(logp, ref, "k4")


def test_kl_k3_unbiased_for_true_kl():
    # E_p[k3] = KL(p || q) for samples from p: check on an exact 3-outcome distribution.
    p = torch.tensor([0.5, 0.3, 0.2])
    q = torch.tensor([0.2, 0.5, 0.3])
    true_kl = float((p * (p / q).log()).sum())
    for kind in ("k1", "k3"):
        est = float((p * kl_penalty(p.log(), q.log(), kind)).sum())
        assert est == pytest.approx(true_kl, abs=1e-6)


def _ratio_case(ratio: float, adv: float, **kw):
    logp = torch.tensor([[math.log(ratio)]])
    out = clipped_policy_loss(logp, torch.zeros(1, 1), torch.tensor([[adv]]), **kw)
    return out.loss_mat.item(), bool(out.clipped.item())


def test_clipped_loss_cases():
    assert _ratio_case(1.5, 1.0) == (pytest.approx(-1.2), True)
    assert _ratio_case(0.5, -1.0) == (pytest.approx(0.8), True)
    assert _ratio_case(0.5, 1.0) == (pytest.approx(-0.5), False)
    assert _ratio_case(1.5, -1.0) == (pytest.approx(1.5), False)
    assert _ratio_case(1.0, 2.0) == (pytest.approx(-2.0), False)


def test_clip_higher_is_asymmetric():
    assert _ratio_case(1.25, 1.0, clip_low=0.2, clip_high=0.28) == (pytest.approx(-1.25), False)
    assert _ratio_case(1.25, 1.0, clip_low=0.2, clip_high=0.2) == (pytest.approx(-1.2), True)
    assert _ratio_case(0.7, -1.0, clip_low=0.2, clip_high=0.28) == (pytest.approx(0.8), True)


def test_dual_clip_bounds_negative_advantage():
    assert _ratio_case(5.0, -1.0, clip_ratio_c=3.0)[0] == pytest.approx(3.0)
    assert _ratio_case(5.0, -1.0)[0] == pytest.approx(5.0)
    assert _ratio_case(5.0, 1.0, clip_ratio_c=3.0)[0] == pytest.approx(-1.2)


def test_clipped_loss_gradient_zero_when_clipped():
    logp = torch.tensor([[math.log(1.5), math.log(1.1)]], requires_grad=True)
    out = clipped_policy_loss(logp, torch.zeros(1, 2), torch.ones(1, 2))
    out.loss_mat.sum().backward()
    assert logp.grad[0, 0].item() == 0.0
    assert logp.grad[0, 1].item() == pytest.approx(-1.1)
