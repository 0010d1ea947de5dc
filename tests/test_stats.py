import pytest
import torch

from gluegen.models.stats import FeatureStatistics


def test_statistics_are_measured_from_the_data():
    generator = torch.Generator().manual_seed(0)
    source = torch.randn(10, 3, 4, generator=generator) * 5
    target = torch.randn(10, 6, 2, generator=generator) * torch.arange(1, 7)[None, :, None]
    pooled = torch.randn(10, 3, generator=generator)
    batches = [(source[:4], target[:4], pooled[:4]), (source[4:], target[4:], pooled[4:])]
    stats = FeatureStatistics.measure(batches)
    assert stats.count == 10
    assert stats.source_token_norm == pytest.approx(source.norm(dim=-1).mean().item(), rel=1e-5)
    torch.testing.assert_close(stats.target_token_norm, target.norm(dim=-1).mean(0))
    assert stats.target_pooled_norm == pytest.approx(pooled.norm(dim=-1).mean().item(), rel=1e-5)
    assert stats.target_token_norm[5] > stats.target_token_norm[0]
    torch.testing.assert_close(stats.target_mean, target.mean(0))
    tokens = source.flatten(0, 1)  # (b * n_s, d_s)
    torch.testing.assert_close(stats.source_mean, tokens.mean(0))
    torch.testing.assert_close(stats.source_std, tokens.std(0, correction=0))


def test_no_pooled_and_empty():
    stats = FeatureStatistics.measure([(torch.ones(2, 1, 4), torch.ones(2, 3, 4), None)])
    assert stats.target_pooled_norm is None
    assert stats.source_token_norm == pytest.approx(2.0)
    with pytest.raises(ValueError, match="empty"):
        FeatureStatistics.measure([])
    with pytest.raises(ValueError, match="all zero"):
        FeatureStatistics.measure([(torch.zeros(2, 1, 4), torch.ones(2, 3, 4), None)])
