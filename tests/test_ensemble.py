"""Several GlueNets read as one: the mean of their glued tokens, pooled embeddings and mask
probabilities."""

import pytest
import torch

from gluegen.models import GlueNet, GlueNetConfig, GlueNetEnsemble
from gluegen.models.gluenet import prefix_mask

torch.set_num_threads(1)
SHAPES = dict(source_tokens=6, source_dim=8, target_tokens=5, target_dim=4)


def tiny(seed: int, **overrides) -> GlueNet:
    torch.manual_seed(seed)
    return GlueNet(GlueNetConfig(**{**SHAPES, "source_blocks": 1, **overrides})).eval()


def test_the_ensemble_draws_the_mean_of_its_members():
    first, second = tiny(0, pooled_dim=3), tiny(1, pooled_dim=3)
    ensemble = GlueNetEnsemble([first, second])
    source = torch.randn(2, 6, 8)
    expected = (first.translate(source) + second.translate(source)) / 2
    assert torch.allclose(ensemble.translate(source), expected)
    pooled = (first.translate_pooled(source) + second.translate_pooled(source)) / 2
    assert torch.allclose(ensemble.translate_pooled(source), pooled)
    assert ensemble.config is first.config and ensemble.device == first.device
    assert ensemble.num_parameters() == 2 * first.num_parameters()
    alone = GlueNetEnsemble([first])
    assert torch.equal(alone.translate(source), first.translate(source))


def test_the_mask_is_the_likeliest_prefix_under_the_members_mean_probability():
    # attended 0.9, 0.9, then 0.1: two tokens
    p = torch.tensor([[0.9, 0.9, 0.1, 0.1]])
    assert prefix_mask(p.log(), (1 - p).log()).tolist() == [[1, 1, 0, 0]]
    # never empty: at least the first token
    p = torch.full((1, 3), 0.01)
    assert prefix_mask(p.log(), (1 - p).log()).tolist() == [[1, 0, 0]]
    first, second = tiny(0, target_mask=True), tiny(1, target_mask=True)
    source = torch.randn(3, 6, 8)
    for net in (first, second):  # a GlueNet's own mask is the same rule over its own logits
        logits = net.mask_probability_logits(source)
        p = torch.sigmoid(logits)
        assert torch.equal(net.translate_mask(source), prefix_mask(p.log(), (1 - p).log()))
    mean = (
        torch.sigmoid(first.mask_probability_logits(source))
        + torch.sigmoid(second.mask_probability_logits(source))
    ) / 2
    expected = prefix_mask(mean.log(), (1 - mean).log())
    assert torch.equal(GlueNetEnsemble([first, second]).translate_mask(source), expected)
    twins = GlueNetEnsemble([first, first])
    assert torch.equal(twins.translate_mask(source), first.translate_mask(source))


@pytest.mark.parametrize(
    "other, message",
    [
        ({"target_dim": 6}, "target_dim 4 -> 6"),
        ({"pooled_dim": 3}, "pooled_dim None -> 3"),
        ({"source_encoder": {"name_or_path": "xlmr"}}, "source_encoder"),
    ],
)
def test_members_of_other_encoders_or_generators_are_refused_by_name(other, message):
    with pytest.raises(ValueError, match=message):
        GlueNetEnsemble([tiny(0), tiny(1, **other)])


def test_an_empty_or_foreign_ensemble_is_refused():
    with pytest.raises(ValueError, match="at least one GlueNet"):
        GlueNetEnsemble([])
    with pytest.raises(ValueError, match="Member 1 of the ensemble is a Linear"):
        GlueNetEnsemble([tiny(0), torch.nn.Linear(2, 2)])


def test_an_ensemble_loads_from_folders(tmp_path):
    first, second = tiny(0), tiny(1)
    first.save_pretrained(tmp_path / "a")
    second.save_pretrained(tmp_path / "b")
    ensemble = GlueNetEnsemble.from_pretrained([tmp_path / "a", tmp_path / "b"])
    source = torch.randn(1, 6, 8)
    expected = (first.translate(source) + second.translate(source)) / 2
    assert torch.allclose(ensemble.translate(source), expected)
