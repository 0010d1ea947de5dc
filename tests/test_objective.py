import pytest
import torch

from gluegen.models.gluenet import GlueNet, GlueNetConfig
from gluegen.training.objective import (
    GlueObjective,
    ObjectiveWeights,
    alignment_token_weights,
    reverse_gradient,
)


def make_objective(**weights):
    torch.manual_seed(0)
    config = GlueNetConfig(
        source_tokens=4, source_dim=8, target_tokens=4, target_dim=8, source_blocks=1
    )
    return GlueObjective(GlueNet(config), ObjectiveWeights(**weights))


def batch():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(6, 4, 8, generator=generator), torch.randn(6, 4, 8, generator=generator)


def touched(objective):
    """Which parts received a non-zero gradient."""
    parts = {
        "gluenet": objective.gluenet,
        "decoder": objective.decoder,
        "discriminator": objective.discriminator,
    }
    return {
        name
        for name, module in parts.items()
        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    }


@pytest.mark.parametrize(
    "term, parts",
    [
        ("align_loss", {"gluenet"}),
        ("rec_loss", {"gluenet", "decoder"}),
        ("adv_loss", {"gluenet", "discriminator"}),
    ],
)
def test_each_term_moves_the_parameters_it_should_and_no_others(term, parts):
    objective = make_objective()
    source, target = batch()
    objective(source, target)[term].backward()
    assert touched(objective) == parts


def test_terms_are_named_and_weighted():
    source, target = batch()
    base = make_objective()(source, target)
    doubled = make_objective(align=2e4, reconstruction=2e4, adversarial=0.2)(source, target)
    assert set(base) == {"align_loss", "rec_loss", "adv_loss"}
    for name in base:
        torch.testing.assert_close(doubled[name], 2 * base[name])


def test_zero_weight_drops_the_term():
    source, target = batch()
    terms = make_objective(reconstruction=0.0, adversarial=0.0)(source, target)
    assert set(terms) == {"align_loss"}


def test_adversarial_gradient_is_reversed_for_gluenet(monkeypatch):
    """GlueNet gets -eta times the gradient that would lower the discriminator's loss."""
    source, target = batch()

    def gluenet_grad():
        objective = make_objective(reversal=0.1)
        objective(source, target)["adv_loss"].backward()
        return objective.gluenet.bridge.channel_mlp[0].weight.grad.clone()

    reversed_grad = gluenet_grad()
    monkeypatch.setattr("gluegen.training.objective.reverse_gradient", lambda x, factor: x)
    plain_grad = gluenet_grad()
    assert plain_grad.abs().sum() > 0
    torch.testing.assert_close(reversed_grad, -0.1 * plain_grad)


def test_gradient_reversal_layer():
    x = torch.ones(3, requires_grad=True)
    reverse_gradient(x, 0.5).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((3,), -0.5))


def test_alignment_token_weights():
    target = torch.zeros(2, 5, 3)
    target[:, 0] = 4.0  # position 0 far from the last (padding-like) position
    target[:, 1] = 1.0
    target[:, 2] = 1.0
    weights = alignment_token_weights(target)
    assert weights.shape == (5,)
    assert weights[0] > weights[1] > weights[3] == 0
    assert weights[-1] == (weights[-2] + weights[-3]) / 2
    before_last = target.mean(0).sub(target.mean(0)[-1]).abs().mean(-1)
    torch.testing.assert_close(weights[:-1], (before_last / before_last.mean())[:-1])


def test_pooled_term_trains_the_pooled_head():
    config = GlueNetConfig(
        source_tokens=4, source_dim=8, target_tokens=4, target_dim=8, pooled_dim=3
    )
    objective = GlueObjective(GlueNet(config))
    source, target = batch()
    pooled = torch.randn(6, 3)
    optimizer = torch.optim.Adam(objective.gluenet.pooled_head.parameters(), lr=0.05)
    losses = []
    for _ in range(30):  # only the pooled head moves: the pooled term alone trains it
        optimizer.zero_grad()
        loss = objective(source, target, pooled)["pooled_loss"]
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_negative_weight_is_rejected():
    with pytest.raises(ValueError, match="align"):
        ObjectiveWeights(align=-1.0)
