"""One policy update: direction of change, micro-batching equivalence, KL path, schedules."""

import copy

import pytest
import torch

from reasoner.algos import broadcast_to_tokens
from reasoner.data.chat import encode_prompt
from reasoner.rollout.base import GenerationRequest, SamplingParams
from reasoner.rollout.hf import HFRolloutEngine
from reasoner.train import update
from reasoner.train.batch import build_batch, first_target, token_logprobs
from reasoner.train.optim import build_optimizer, lr_lambda
from reasoner.train.shared_prompt import length_chunks, prompt_groups, shared_prompt_logprobs
from reasoner.train.update import UpdateConfig, policy_update


def _batch(model, tok, n=4, seed=0):
    torch.manual_seed(seed)
    ids = encode_prompt(tok, [{"role": "user", "content": "Compute 3 + 4."}])
    samples = HFRolloutEngine(model, tok).generate([GenerationRequest(ids, n=n)], SamplingParams(max_new_tokens=8))[0]
    return build_batch(samples, tok.pad_token_id)


def _opt(model, lr=1e-2):
    return build_optimizer(model, {"lr": lr, "schedule": "constant"}, 10)


def _seq_logp(model, batch):
    with torch.no_grad():
        lp, _ = token_logprobs(model, batch.input_ids, batch.attention_mask)
    return (lp * batch.mask).sum(-1)


@pytest.mark.parametrize("agg", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                                 "seq-mean-token-sum-norm"])
def test_positive_advantage_probability_rises(tiny, agg):
    model, tok = tiny
    batch = _batch(model, tok)
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])
    batch.advantages = broadcast_to_tokens(adv, batch.mask)
    before = _seq_logp(model, batch)
    opt, sched = _opt(model, 1e-3)
    policy_update(model, None, opt, sched, batch, UpdateConfig(loss_agg=agg, norm_len=8))
    delta = _seq_logp(model, batch) - before
    assert delta[0] > 0 and delta[2] > 0
    assert delta[1] < 0 and delta[3] < 0


def test_micro_batching_gives_same_update(tiny):
    model, tok = tiny
    batch = _batch(model, tok)
    batch.advantages = broadcast_to_tokens(torch.tensor([1.0, -0.5, 0.25, -1.0]), batch.mask)
    results = []
    for micro in (0, 1, 2):
        m = copy.deepcopy(model)
        opt = torch.optim.SGD(m.parameters(), lr=1.0)  # linear in the gradient: exact comparison
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
        policy_update(m, None, opt, sched, copy.deepcopy(batch),
                      UpdateConfig(loss_agg="token-mean", micro_batch_size=micro, max_grad_norm=1e9))
        results.append(torch.cat([p.detach().flatten() for p in m.parameters()]))
    assert torch.allclose(results[0], results[1], atol=1e-5)
    assert torch.allclose(results[0], results[2], atol=1e-5)
    assert not torch.allclose(results[0], torch.cat([p.flatten() for p in model.parameters()]))


def test_multi_epoch_minibatch_clips_and_kl(tiny):
    model, tok = tiny
    ref = copy.deepcopy(model).eval().requires_grad_(False)
    batch = _batch(model, tok)
    batch.advantages = broadcast_to_tokens(torch.tensor([1.0, -1.0, 1.0, -1.0]), batch.mask)
    opt, sched = _opt(model, 5e-2)
    stats = policy_update(model, ref, opt, sched, batch,
                          UpdateConfig(epochs=3, mini_batch_size=2, kl_coef=0.1, clip_low=0.05, clip_high=0.05))
    assert stats["actor/updates"] == 6.0
    assert stats["actor/clip_frac"] > 0  # later mini-batches move past the tight clip range
    assert stats["actor/kl"] > 0
    assert batch.old_logprobs is not None and batch.ref_logprobs is not None


def test_kl_needs_reference(tiny):
    model, tok = tiny
    batch = _batch(model, tok)
    batch.advantages = torch.zeros_like(batch.mask)
    opt, sched = _opt(model)
    with pytest.raises(ValueError, match="reference model"):
        policy_update(model, None, opt, sched, batch, UpdateConfig(kl_coef=0.1))


def test_lr_schedules():
    assert lr_lambda(5, "constant", 10, 100) == 1.0
    assert lr_lambda(0, "warmup", 4, 100) == 0.25 and lr_lambda(9, "warmup", 4, 100) == 1.0
    assert lr_lambda(4, "cosine", 4, 104) == pytest.approx(1.0)
    assert lr_lambda(54, "cosine", 4, 104) == pytest.approx(0.5)
    assert lr_lambda(104, "cosine", 4, 104, min_lr_ratio=0.1) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="unknown lr schedule"):
        lr_lambda(0, "linear", 0, 10)


def test_logprobs_from_first_target_equal_full(tiny):
    """Skipping the LM head on prompt columns changes neither log-probs, entropy nor gradients."""
    model, tok = tiny
    batch = _batch(model, tok)
    start = first_target(batch.mask)
    assert start > 0 and batch.mask[:, :start].sum() == 0
    grads = []
    for s in (0, start):
        model.zero_grad()
        lp, ent = token_logprobs(model, batch.input_ids, batch.attention_mask, 0.7, with_entropy=True, start=s)
        assert lp.shape == ent.shape == batch.mask.shape
        (lp * batch.mask).sum().backward()
        grads.append((lp.detach() * batch.mask, ent * batch.mask,
                      torch.cat([p.grad.flatten() for p in model.parameters()])))
    (lp0, e0, g0), (lp1, e1, g1) = grads
    assert torch.allclose(lp0, lp1, atol=1e-6) and torch.allclose(e0, e1, atol=1e-6)
    assert torch.allclose(g0, g1, atol=1e-6)


def _group_batch(model, tok, seed=0):
    """Two prompts of different lengths x 3 samples, plus one continuation from a prefix."""
    torch.manual_seed(seed)
    prompts = [encode_prompt(tok, [{"role": "user", "content": c}]) for c in ("Compute 3 + 4.", "Compute 12 - 5 + 7.")]
    engine = HFRolloutEngine(model, tok)
    reqs = [GenerationRequest(p, n=3) for p in prompts]
    reqs.append(GenerationRequest(prompts[1], n=2, prefix_ids=tok("12 - 5", add_special_tokens=False)["input_ids"]))
    samples = [s for g in engine.generate(reqs, SamplingParams(max_new_tokens=10)) for s in g]
    return build_batch(samples, tok.pad_token_id)


@pytest.mark.parametrize("temperature,chunks", [(1.0, 4), (0.6, 1), (1.0, 8)])
def test_shared_prompt_forward_equals_plain_forward(tiny, temperature, chunks):
    """Each prompt once + gathered KV cache: same log-probs, entropy and gradients as full rows."""
    model, tok = tiny
    batch = _group_batch(model, tok)
    assert len(prompt_groups(batch.input_ids, batch.prompt_lens)[0]) == 2
    results = []
    for fn in ("plain", "shared"):
        model.zero_grad()
        if fn == "plain":
            lp, ent = token_logprobs(model, batch.input_ids, batch.attention_mask, temperature, with_entropy=True)
        else:
            lp, ent = shared_prompt_logprobs(model, batch.input_ids, batch.attention_mask, batch.prompt_lens,
                                             temperature, with_entropy=True, max_chunks=chunks)
        assert lp.shape == batch.mask.shape
        ((lp * batch.mask).sum() + (lp * batch.mask).pow(2).sum()).backward()
        results.append((lp.detach() * batch.mask, ent * batch.mask,
                        torch.cat([p.grad.flatten() for p in model.parameters()])))
    (lp0, e0, g0), (lp1, e1, g1) = results
    assert torch.allclose(lp0, lp1, atol=1e-5) and torch.allclose(e0, e1, atol=1e-5)
    assert ((g0 - g1).norm() / g0.norm()).item() < 1e-5  # float32 rounding (measured ~3e-7)
    assert lp1[batch.mask == 0].abs().max() == 0


def test_update_with_shared_prompts_equals_plain_update(tiny):
    model, tok = tiny
    batch = _group_batch(model, tok)
    batch.advantages = broadcast_to_tokens(torch.linspace(-1, 1, batch.size), batch.mask)
    params = []
    for share in (False, True):
        m = copy.deepcopy(model)
        opt = torch.optim.SGD(m.parameters(), lr=1.0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
        stats = policy_update(m, None, opt, sched, copy.deepcopy(batch),
                              UpdateConfig(share_prompts=share, micro_batch_size=3, max_grad_norm=1e9))
        params.append(torch.cat([p.detach().flatten() for p in m.parameters()]))
        assert stats["actor/logprob_diff_max"] < 1e-4
    assert ((params[0] - params[1]).norm() / params[0].norm()).item() < 1e-5


def test_length_chunks_cut_padding():
    lengths = [5, 40, 6, 38, 7, 12, 48, 5]
    chunks = length_chunks(lengths, 3)
    assert sorted(i for c in chunks for i in c) == list(range(len(lengths))) and len(chunks) == 3
    padded = sum(len(c) * max(lengths[i] for i in c) for c in chunks)
    assert padded < len(lengths) * max(lengths) / 2
    assert [lengths[i] for i in chunks[0]] == [5, 5, 6, 7]  # short rows together, sorted
    assert length_chunks(lengths, 1) == [sorted(range(8), key=lambda i: lengths[i])]
    assert len(length_chunks([4, 4, 4], 4)) == 1  # nothing to gain from cutting equal lengths


def _params(m):
    return torch.cat([p.detach().flatten() for p in m.parameters()])


@pytest.mark.parametrize("agg", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                                 "seq-mean-token-sum-norm"])
def test_skipping_zero_advantage_rows_gives_same_update(tiny, agg):
    """A uniform-reward group is not run, yet the update equals the full-batch one (same denominators)."""
    model, tok = tiny
    batch = _group_batch(model, tok)
    adv = torch.tensor([0.0, 0.0, 0.0, 1.0, -0.5, 0.25, -1.0, 0.5])  # first group: all rewards equal
    batch.advantages = broadcast_to_tokens(adv, batch.mask)
    params, stats = [], []
    for skip in (False, True):
        m = copy.deepcopy(model)
        opt = torch.optim.SGD(m.parameters(), lr=1.0)  # linear in the gradient: exact comparison
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
        stats.append(policy_update(m, None, opt, sched, copy.deepcopy(batch),
                                   UpdateConfig(loss_agg=agg, norm_len=10, max_grad_norm=1e9,
                                                skip_zero_advantage=skip)))
        params.append(_params(m))
    moved = (params[0] - _params(model)).norm()
    assert moved > 0
    assert (params[0] - params[1]).norm() / moved < 1e-5
    assert stats[0]["actor/active_rows"] == 1.0 and stats[1]["actor/active_rows"] == 5 / 8
    assert abs(stats[0]["actor/loss"] - stats[1]["actor/loss"]) < 1e-6


def test_all_zero_advantage_minibatch_still_steps_adamw(tiny):
    """Nothing to run, but AdamW's momentum and weight decay move the weights as with a zero gradient."""
    model, tok = tiny
    batch = _group_batch(model, tok)
    signal = copy.deepcopy(batch)
    signal.advantages = broadcast_to_tokens(torch.linspace(-1, 1, batch.size), batch.mask)
    batch.advantages = torch.zeros_like(batch.mask)
    params = []
    for skip in (False, True):
        m = copy.deepcopy(model)
        torch.manual_seed(0)  # same mini-batch permutations in both runs
        opt, sched = build_optimizer(m, {"lr": 1e-3, "schedule": "constant", "weight_decay": 0.1}, 10)
        cfg = UpdateConfig(epochs=2, mini_batch_size=4, skip_zero_advantage=skip)
        policy_update(m, None, opt, sched, copy.deepcopy(signal), cfg)
        after_signal = _params(m)
        stats = policy_update(m, None, opt, sched, copy.deepcopy(batch), cfg)
        assert (_params(m) - after_signal).norm() > 0  # momentum kept moving the weights
        assert stats["actor/active_rows"] == (0.0 if skip else 1.0)
        params.append(_params(m))
    assert (params[0] - params[1]).norm() / params[0].norm() < 1e-6


def test_zero_advantage_rows_run_when_kl_is_in_the_loss(tiny):
    model, tok = tiny
    batch = _group_batch(model, tok)
    batch.advantages = torch.zeros_like(batch.mask)
    ref = copy.deepcopy(model).eval().requires_grad_(False)
    opt, sched = _opt(model, 1e-3)
    stats = policy_update(model, ref, opt, sched, batch, UpdateConfig(kl_coef=0.1))
    assert stats["actor/active_rows"] == 1.0


@pytest.mark.parametrize("switch", ["config", "dropout"])
def test_first_minibatch_own_old_logprobs_give_same_update(tiny, monkeypatch, switch):
    """Reusing the first mini-batch's forward as its old log-probs equals a separate no-grad pass,
    over several epochs (later epochs read the stored values) and with uneven advantages. The
    separate pass is forced by the config flag or by a model that has dropout."""
    model, tok = tiny
    batch = _group_batch(model, tok)
    batch.advantages = broadcast_to_tokens(torch.linspace(-1, 1, batch.size), batch.mask)
    params, stats, old_pass_rows = [], [], []
    real_batch_logprobs = update.batch_logprobs

    def counting_batch_logprobs(*args, rows=None, **kwargs):
        old_pass_rows.append(len(rows))
        return real_batch_logprobs(*args, rows=rows, **kwargs)

    monkeypatch.setattr(update, "batch_logprobs", counting_batch_logprobs)
    for reuse in (False, True):
        if switch == "dropout":
            monkeypatch.setattr(update, "dropout_free", lambda m, r=reuse: r)
        m = copy.deepcopy(model)
        torch.manual_seed(0)  # same mini-batch permutations in both runs
        opt, sched = build_optimizer(m, {"lr": 3e-3, "schedule": "constant"}, 10)
        cfg = UpdateConfig(epochs=3, mini_batch_size=3, clip_low=0.01, clip_high=0.01,
                           reuse_first_old_logprobs=reuse or switch == "dropout")
        stats.append(policy_update(m, None, opt, sched, copy.deepcopy(batch), cfg))
        params.append(_params(m))
    moved = (params[0] - _params(model)).norm()
    assert moved > 0 and stats[0]["actor/clip_frac"] > 0  # later mini-batches' ratios moved and clipped
    assert (params[0] - params[1]).norm() / moved < 1e-5
    assert abs(stats[0]["actor/clip_frac"] - stats[1]["actor/clip_frac"]) < 1e-6
    assert old_pass_rows == [batch.size, batch.size - 3]  # reuse: the no-grad pass skips the first mini-batch


def test_dropout_free_reads_modules_and_config(tiny):
    model, _ = tiny
    assert update.dropout_free(model)
    m = copy.deepcopy(model)
    m.config.attention_dropout = 0.1
    assert not update.dropout_free(m)
    assert not update.dropout_free(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.1)))
