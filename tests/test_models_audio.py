"""Audio encoder, audio-visual fusion and correspondence models; fit/evaluate/predict on two input streams."""

import pytest
import torch

import vulib
from vulib.audio import AudioVisualDataset
from vulib.models import CNN3D, AudioCNN, AVCorrespondence, LateAVFusion, MidAVFusion, video_embedding

B, T, S, M, F = 4, 8, 16, 32, 51


def data():
    g = torch.Generator().manual_seed(0)
    return torch.rand(B, 3, T, S, S, generator=g), torch.randn(B, 1, M, F, generator=g) * 10 - 40


def test_audio_cnn_shapes():
    _, mel = data()
    net = AudioCNN(classes=3, width=4)
    assert net(mel).shape == (B, 3)
    assert net.features(mel).shape == (B, 8, M // 4, F // 4)
    assert net.embed(mel).shape == (B, 8) and net.sequence(mel, T).shape == (B, 8, T)
    with pytest.raises(ValueError, match=r"\(B, 1, n_mels, frames\)"):
        net(mel[:, 0])


def test_fusion_models_shapes_and_late_is_an_average():
    video, mel = data()
    vis, aud = CNN3D(classes=4, width=4).eval(), AudioCNN(classes=4, width=4).eval()
    assert video_embedding(vis, video).shape == (B, 8)
    late = LateAVFusion(vis, aud)
    out = late(video, mel)
    expected = (vis(video).softmax(-1) + aud(mel).softmax(-1)) / 2
    assert torch.allclose(out.exp(), expected, atol=1e-6)
    mid = MidAVFusion(CNN3D(classes=4, width=4), AudioCNN(classes=4, width=4), classes=4)
    assert mid(video, mel).shape == (B, 4)


@pytest.mark.parametrize("temporal", [False, True])
def test_correspondence_model(temporal):
    video, mel = data()
    net = AVCorrespondence(temporal=temporal, width=4, dim=8, hidden=8)
    assert net(video, mel).shape == (B, 2)
    assert net.similarity_map(video, mel).shape == (B, S // 4, S // 4)
    with pytest.raises(ValueError, match="log-mel"):
        net(video, mel[:, 0])


def test_fit_evaluate_predict_take_two_streams():
    video, mel = data()
    ds = AudioVisualDataset(video, mel, torch.tensor([0, 1, 0, 1]))
    net = MidAVFusion(CNN3D(classes=2, width=4), AudioCNN(classes=2, width=4), classes=2)
    hist = vulib.fit(net, ds, ds, epochs=1, batch_size=2, progress=False)
    assert len(hist) == 1 and 0 <= hist.final["val_acc"] <= 1
    assert vulib.predict(net, ds).shape == (B, 2)
    assert set(vulib.evaluate(net, ds)) == {"loss", "accuracy"}
    with pytest.raises(ValueError, match="N = 4"):
        AudioVisualDataset(video, mel[:3], torch.zeros(4, dtype=torch.long))
