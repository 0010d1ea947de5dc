import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from gluegen.models.blocks import GroupedLinear, MixerBlock
from gluegen.models.config import SHAPE_FIELDS
from gluegen.models.gluenet import CONFIG_HASH_KEY, GlueNet, GlueNetConfig, settings_hash
from gluegen.models.stats import FeatureStatistics
from gluegen.recipes import FAMILY_TARGETS, get_recipe
from gluegen.training.objective import decoder_config


def tiny_config(**overrides):
    settings = dict(source_tokens=6, source_dim=8, target_tokens=5, target_dim=4, source_blocks=2)
    return GlueNetConfig(**{**settings, **overrides})


def test_forward_maps_source_shape_to_target_shape():
    gluenet = GlueNet(tiny_config())
    out = gluenet(torch.randn(3, 6, 8))
    assert out.shape == (3, 5, 4)


def test_folded_source_and_target_blocks_and_tail():
    config = tiny_config(
        source_tokens=1,
        source_dim=16,
        mixer_tokens=4,
        mixer_dim=4,
        target_blocks=1,
        tail_blocks=2,
        bridge_norm=True,
        mix_order="tokens_first",
    )
    assert GlueNet(config)(torch.randn(2, 1, 16)).shape == (2, 5, 4)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"mix_order": "sideways"}, "mix_order"),
        ({"mixer_tokens": 3, "mixer_dim": 5}, "element counts"),
        ({"mixer_tokens": 3}, "both mixer_tokens"),
        ({"source_dim": 0}, "source_dim"),
        ({"mult": 0}, "mult"),
        ({"bridge_token_groups": 3}, "divide the 4 channels"),  # mixes tokens at d_t
        ({"attention_heads": -1}, "attention_heads"),
        ({"attention_heads": 2, "attention_layers": 0}, "attention_layers"),
        ({"bridge_token_groups": 3, "mix_order": "tokens_first"}, "divide the 8 channels"),
    ],
)
def test_bad_config_names_the_problem(bad, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**bad)


def test_wrong_source_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="6 tokens x 8"):
        GlueNet(tiny_config())(torch.randn(2, 7, 8))


def test_residual_block_must_keep_shape():
    with pytest.raises(ValueError, match="keep its shape"):
        MixerBlock(3, 4, 3, 5, mult=2)


def paper_multilingual_count():
    """The original code's count, written out layer by layer (LayerNorm: 2 per width)."""

    def mlp(d_in, d_out, hidden, norm):
        linear = d_in * hidden + hidden + hidden * hidden + hidden + hidden * d_out + d_out
        return linear + (2 * (hidden + hidden + d_out) if norm else 0)

    block = mlp(1024, 1024, 2048, True) + mlp(77, 77, 154, True)
    tail = mlp(1024, 768, 2048, False) + mlp(77, 77, 154, False)
    return 5 * block + tail


def test_paper_presets_match_the_papers_parameter_counts():
    multilingual = GlueNet(get_recipe("paper-multilingual").gluenet_config()).num_parameters()
    audio = GlueNet(get_recipe("paper-audio").gluenet_config()).num_parameters()
    assert multilingual == paper_multilingual_count()
    assert abs(multilingual - 50e6) / 50e6 < 0.01
    assert abs(audio - 58e6) / 58e6 < 0.01


def beyond_shapes(layout: dict) -> dict:
    return {name: value for name, value in layout.items() if name not in SHAPE_FIELDS}


def test_family_presets_are_the_paper_network_trained_on_the_alignment_term_alone():
    paper = get_recipe("paper-multilingual")
    weights = paper.train_config("unused").weights
    assert weights.reconstruction > 0 and weights.adversarial > 0  # the paper's objective
    assert get_recipe("sd1-multilingual").gluenet_config() == paper.gluenet_config()
    for family in FAMILY_TARGETS:
        recipe = get_recipe(f"{family}-multilingual")
        weights = recipe.train_config("unused").weights
        assert weights.align > 0 and weights.reconstruction == weights.adversarial == 0
        assert beyond_shapes(recipe.layout) == beyond_shapes(paper.layout)


def test_decoder_config_maps_back_to_the_mixer_shape():
    config = tiny_config(source_tokens=1, source_dim=16, mixer_tokens=4, mixer_dim=4)
    decoder = GlueNet(decoder_config(config))
    assert decoder(torch.randn(2, 5, 4)).shape == (2, 4, 4)


def test_grouped_linear_gives_each_group_its_own_weights():
    layer = GroupedLinear(3, 2, groups=2)
    x = torch.randn(5, 4, 3)  # (b, rows, in): rows 0-1 are group 0, rows 2-3 group 1
    y = layer(x)
    assert y.shape == (5, 4, 2)
    for group in range(2):
        rows = slice(2 * group, 2 * group + 2)
        expected = x[:, rows] @ layer.weight[group] + layer.bias[group]
        torch.testing.assert_close(y[:, rows], expected)


def test_bridge_routes_each_channel_its_own_way():
    # No source blocks: the bridge's token MLP sees the source channels as they are.
    config = tiny_config(source_blocks=0, mix_order="tokens_first", bridge_token_groups=8)
    routed = GlueNet(config).bridge.token_mlp
    channels = torch.randn(2, 8, 6)  # (b, d, n): the token MLP mixes each channel's tokens
    before = routed(channels)
    with torch.no_grad():
        routed[0].weight[3].normal_()  # channel 3's own routing
    after = routed(channels)
    changed = (after - before).abs().amax(dim=(0, 2)) > 0  # (d,)
    assert changed.tolist() == [c == 3 for c in range(8)]
    assert GlueNet(config).num_parameters() > GlueNet(tiny_config(source_blocks=0)).num_parameters()
    # the paper's bridge: one routing shared by all channels
    assert isinstance(GlueNet(tiny_config()).bridge.token_mlp[0], torch.nn.Linear)
    # the decoder (a training aid) routes all channels alike and reads normalised features
    mirrored = decoder_config(config)
    assert (mirrored.bridge_token_groups, mirrored.standardize_source) == (1, False)


def test_attention_bridge_routes_tokens_by_content(tmp_path):
    config = tiny_config(
        source_blocks=0, attention_heads=2, attention_head_dim=4, attention_slots=3
    )
    gluenet = GlueNet(config).eval()
    source = torch.randn(2, 6, 8)
    shuffled = source[:, torch.randperm(6)]
    out = gluenet(source)
    assert out.shape == (2, 5, 4)
    # the same words in another order fill the same slots (no position offsets yet)
    torch.testing.assert_close(gluenet(shuffled), out)
    with torch.no_grad():
        gluenet.bridge.key_positions.normal_()  # learned offsets bring position in
    assert not torch.allclose(gluenet(shuffled), gluenet(source))
    # 3 slots spread over 5 target tokens; one query per target token without slots
    assert tuple(gluenet.bridge.spread.weight.shape) == (5, 3)
    assert GlueNet(tiny_config(attention_heads=2)).bridge.spread is None
    # saved and loaded with its config; the decoder (a training aid) routes by position
    gluenet.save_pretrained(tmp_path)
    torch.testing.assert_close(GlueNet.from_pretrained(tmp_path)(source), gluenet(source))
    assert decoder_config(config).attention_heads == 0


def test_source_blocks_without_token_mixing_keep_content_routing_order_free():
    attention = dict(attention_heads=2, attention_head_dim=4, attention_slots=3)
    source = torch.randn(2, 6, 8)
    shuffled = source[:, torch.randperm(6)]
    torch.manual_seed(0)
    channels_only = GlueNet(tiny_config(**attention, source_token_mixing=False)).eval()
    assert all(block.token_mlp is None for block in channels_only.source_blocks)
    # the source blocks read each token alone, so word order still does not matter
    torch.testing.assert_close(channels_only(shuffled), channels_only(source))
    # source blocks that mix tokens mix them by position
    mixing = GlueNet(tiny_config(**attention)).eval()
    assert not torch.allclose(mixing(shuffled), mixing(source))
    with pytest.raises(ValueError, match="cannot change their number"):
        MixerBlock(6, 8, 5, 8, mult=1.0, residual=False, mix_tokens=False)


def test_token_context_reads_neighbours_the_same_way_everywhere_and_starts_as_without():
    attention = dict(attention_heads=2, attention_head_dim=4, attention_slots=3)
    source = torch.randn(2, 6, 8)
    torch.manual_seed(0)
    without = GlueNet(tiny_config(**attention, source_token_mixing=False)).eval()
    torch.manual_seed(0)
    context = GlueNet(tiny_config(**attention, source_token_mixing=False, source_context=1))
    context.eval()
    torch.testing.assert_close(context(source), without(source))  # zero at the start
    block = context.source_context
    with torch.no_grad():
        block.weight.normal_()
    shifted = torch.roll(source, 1, dims=1)
    # one token later, the same output: windows that hold neither padding nor the wrapped token
    torch.testing.assert_close(block(shifted)[:, 2:5], block(source)[:, 1:4])
    changed = source.clone()
    changed[:, 3] += 1.0  # a neighbour's features reach the tokens beside it, nothing further
    moved = (block(changed) - block(source)).abs().sum(dim=(0, 2))
    assert (moved[2:5] > 0).all() and (moved[[0, 1, 5]] == 0).all()
    with pytest.raises(ValueError, match="source_context cannot be negative"):
        tiny_config(source_context=-1)


def test_a_gluenet_saved_before_a_config_field_existed_loads_with_its_default(tmp_path):
    gluenet = GlueNet(tiny_config())
    gluenet.set_statistics(stats_for(tiny_config()))
    gluenet.save_pretrained(tmp_path)
    # what an older version wrote: no source_token_mixing in the config, nor in its hash
    settings = json.loads((tmp_path / "config.json").read_text())
    del settings["source_token_mixing"]
    (tmp_path / "config.json").write_text(json.dumps(settings))
    weights = str(tmp_path / "model.safetensors")
    metadata = {"format": "pt", CONFIG_HASH_KEY: settings_hash(settings)}
    save_file(load_file(weights), weights, metadata=metadata)
    loaded = GlueNet.from_pretrained(tmp_path)
    assert loaded.config.source_token_mixing is True
    source = torch.randn(2, 6, 8)
    torch.testing.assert_close(loaded(source), gluenet(source))


def test_zero_bridge_groups_route_every_channel_its_own_way():
    assert tiny_config(bridge_token_groups=0).bridge_token_groups == 4  # mixes tokens at d_t
    tokens_first = tiny_config(bridge_token_groups=0, mix_order="tokens_first")
    assert tokens_first.bridge_token_groups == 8  # mixes tokens at d_s


def test_standardized_source_has_centred_unit_channels(tmp_path):
    config = tiny_config(standardize_source=True)
    source = torch.randn(50, 6, 8) * torch.linspace(0.1, 5, 8) + torch.arange(8)  # skewed
    stats = FeatureStatistics.measure([(source, torch.randn(50, 5, 4), None)])
    gluenet = GlueNet(config)
    gluenet.set_statistics(stats)
    normalised = gluenet.normalize_source(source).flatten(0, 1)  # (tokens, d_s)
    torch.testing.assert_close(normalised.mean(0), torch.zeros(8), atol=1e-5, rtol=0)
    scale = 1 / (config.norm_fraction * 8**0.5)  # unit channels, token norm sqrt(8) -> 1
    torch.testing.assert_close(normalised.std(0, correction=0), torch.full((8,), scale))
    gluenet.save_pretrained(tmp_path / "g")
    loaded = GlueNet.from_pretrained(tmp_path / "g")
    torch.testing.assert_close(loaded.translate(source[:2]), gluenet.translate(source[:2]))


def test_pooled_head():
    gluenet = GlueNet(tiny_config(pooled_dim=3))
    assert gluenet.pool(gluenet(torch.randn(2, 6, 8))).shape == (2, 3)
    with pytest.raises(ValueError, match="pooled_dim"):
        GlueNet(tiny_config()).pool(torch.randn(2, 5, 4))


def stats_for(config, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return FeatureStatistics(
        source_token_norm=3.0,
        target_token_norm=torch.rand(config.target_tokens, generator=generator) + 1,
        target_pooled_norm=2.0,
    )


def test_translate_undoes_normalisation():
    config = tiny_config()
    gluenet = GlueNet(config)
    gluenet.set_statistics(stats_for(config))
    source = torch.randn(2, 6, 8)
    expected = gluenet(source / (0.5 * 3.0)) * (0.5 * gluenet.target_token_norm)[:, None]
    torch.testing.assert_close(gluenet.translate(source), expected)


def test_statistics_must_fit():
    with pytest.raises(ValueError, match="target tokens"):
        GlueNet(tiny_config()).set_statistics(
            FeatureStatistics(source_token_norm=1.0, target_token_norm=torch.ones(9))
        )


def test_target_offset_starts_at_the_mean_target_and_is_learned(tmp_path, capsys):
    config = tiny_config(target_offset=True, mix_order="tokens_first")
    gluenet = GlueNet(config)
    mean = torch.randn(5, 4)
    stats = FeatureStatistics(
        source_token_norm=3.0, target_token_norm=torch.full((5,), 2.0), target_mean=mean
    )
    gluenet.set_statistics(stats)
    assert gluenet.target_offset.requires_grad
    torch.testing.assert_close(gluenet.denormalize_target(gluenet.target_offset), mean)
    # with every block's output at zero, the GlueNet gives the mean target
    without = GlueNet(tiny_config(mix_order="tokens_first"))
    without.load_state_dict(
        {k: v for k, v in gluenet.state_dict().items() if k != "target_offset"}, strict=True
    )
    source = torch.randn(2, 6, 8)
    torch.testing.assert_close(
        gluenet(source) - without(source), gluenet.target_offset.expand(2, 5, 4)
    )
    gluenet.save_pretrained(tmp_path / "g")
    loaded = GlueNet.from_pretrained(tmp_path / "g")
    torch.testing.assert_close(loaded.target_offset, gluenet.target_offset)
    assert "Loading weights" not in capsys.readouterr().out  # loads quietly


def test_save_and_load_roundtrip(tmp_path):
    config = tiny_config(
        pooled_dim=3, source_encoder={"name_or_path": "xlm-roberta-large", "revision": "abc"}
    )
    gluenet = GlueNet(config)
    gluenet.set_statistics(stats_for(config))
    gluenet.save_pretrained(tmp_path / "g")
    assert {"config.json", "model.safetensors"} <= {p.name for p in (tmp_path / "g").iterdir()}
    saved = json.loads((tmp_path / "g" / "config.json").read_text())
    assert saved["source_encoder"]["name_or_path"] == "xlm-roberta-large"
    loaded = GlueNet.from_pretrained(tmp_path / "g")
    assert loaded.config == config
    source = torch.randn(2, 6, 8)
    torch.testing.assert_close(loaded.translate(source), gluenet.translate(source))
    torch.testing.assert_close(loaded.target_token_norm, gluenet.target_token_norm)


def test_load_from_a_hub_id(tmp_path):
    """The same call loads from a hub repository (here from an offline hub cache)."""
    config = tiny_config()
    gluenet = GlueNet(config)
    gluenet.set_statistics(stats_for(config))
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--tiny-gluenet"
    gluenet.save_pretrained(repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loaded = GlueNet.from_pretrained(
        "someone/tiny-gluenet", cache_dir=tmp_path / "hub", local_files_only=True
    )
    source = torch.randn(2, 6, 8)
    torch.testing.assert_close(loaded.translate(source), gluenet.translate(source))
