from transformers import ASTFeatureExtractor, ASTForAudioClassification, AutoFeatureExtractor

from gluegen_world.audio import (
    SoundTraining,
    draw_sounds,
    heard_accuracy,
    measured_extractor,
    train_sound_encoder,
)


def test_normalisation_is_measured_from_the_clips():
    clips, _ = draw_sounds(16, seed=0)
    extractor = measured_extractor(clips, mel_bins=16)
    features = extractor(clips, sampling_rate=16_000, return_tensors="np")["input_values"]
    assert abs(features.mean()) < 0.05 and abs(features.std() - 0.5) < 0.05  # AST scales by 2 std
    assert features.shape == (16, 100, 16)


def test_sound_encoder_trains_and_saves_the_normal_way(tmp_path):
    tiny = SoundTraining(
        clips=64, mel_bins=16, hidden=16, layers=1, heads=2, epochs=1, batch_size=32
    )
    model, extractor = train_sound_encoder(tiny, progress=False)
    model.save_pretrained(tmp_path)
    extractor.save_pretrained(tmp_path)
    loaded = ASTForAudioClassification.from_pretrained(tmp_path)
    loaded_extractor = AutoFeatureExtractor.from_pretrained(tmp_path)
    assert isinstance(loaded_extractor, ASTFeatureExtractor)
    assert loaded_extractor.mean == extractor.mean
    clips, scenes = draw_sounds(8, seed=1, split="heldout")
    scores = heard_accuracy(loaded, loaded_extractor, clips, scenes)
    assert set(scores) == {"shape", "colour", "size", "mean", "all"}


def test_shipped_sound_encoder_hears_held_out_combinations():
    from gluegen_world.models import shipped_model

    folder = shipped_model("sound")
    model = ASTForAudioClassification.from_pretrained(folder).eval()
    extractor = AutoFeatureExtractor.from_pretrained(folder)
    clips, scenes = draw_sounds(64, seed=2024, split="heldout")
    assert heard_accuracy(model, extractor, clips, scenes)["mean"] >= 0.95
