"""Sound as a second input stream: an audio encoder, audio-visual fusion, and correspondence (notebook 10).

Sound enters as a log-mel "image" ``(B, 1, n_mels, frames)`` (:func:`vulib.audio.log_mel`):
frequency on one axis, time on the other, so a small 2D CNN reads it (:class:`AudioCNN`).

* :class:`LateAVFusion` -- two trained classifiers (video, sound); their class probabilities are averaged;
* :class:`MidAVFusion` -- a video encoder and a sound encoder; their embeddings are concatenated and a
  small MLP classifies the pair (the streams can interact);
* :class:`AVCorrespondence` -- two towers trained to say whether a sound belongs to a clip, without any
  class label (L3-Net's audio-visual correspondence, Arandjelovic & Zisserman 2017). ``temporal=False``
  pools time away in both towers; ``temporal=True`` keeps time and compares them step by step. Either
  model's comparison applied at every position of the visual feature map
  (:meth:`~AVCorrespondence.similarity_map`) says where the sound comes from.

Every model takes ``(video (B, C, T, H, W), mel (B, 1, n_mels, frames))`` and returns logits ``(B, K)``,
so :func:`vulib.fit` trains it on a dataset whose items are ``((clip, mel), label)``
(:class:`vulib.audio.AudioVisualDataset`).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..tensors import check_video
from .backbones import CNN3D, FrameCNN, frame_stack, per_frame

__all__ = ["AudioCNN", "video_embedding", "LateAVFusion", "MidAVFusion", "AVCorrespondence"]


def _check_mel(mel: object, channels: int = 1) -> torch.Tensor:
    if not isinstance(mel, torch.Tensor) or mel.ndim != 4 or mel.shape[1] != channels or not mel.is_floating_point():
        got = tuple(mel.shape) if isinstance(mel, torch.Tensor) else type(mel).__name__
        raise ValueError(
            f"expected a log-mel batch of shape (B, {channels}, n_mels, frames), float, got {got}; "
            "make it with vulib.audio.log_mel(wave (B, 1, S), rate)"
        )
    return mel


class AudioCNN(nn.Module):
    """A small 2D CNN on log-mel images: ``(B, 1, M, F) -> (B, K)`` logits (or embeddings).

    Shapes: input batch norm (learns the decibels' offset and scale) -> the :class:`~vulib.models.FrameCNN`
    stack (:func:`~vulib.models.backbones.frame_stack`: [conv 3x3 - BN - ReLU - max-pool 2] x 2 -> conv 3x3 -
    BN - ReLU): feature map ``(B, 2w, M/4, F/4)`` (:meth:`features`) -> global max-pool ``(B, 2w)``
    (:meth:`embed`) -> linear ``(B, K)``. :meth:`sequence` keeps time: ``(B, 2w, steps)``.
    """

    def __init__(self, channels: int = 1, classes: int = 2, *, width: int = 16) -> None:
        super().__init__()
        self.channels, self.classes, self.out_channels = channels, classes, 2 * width
        self.layers = frame_stack(channels, width, input_norm=True)
        self.head = nn.Linear(2 * width, classes)

    def features(self, mel: torch.Tensor) -> torch.Tensor:
        """Feature map ``(B, 2w, M/4, F/4)`` of log-mel images ``(B, 1, M, F)``."""
        return self.layers(_check_mel(mel, self.channels))

    def embed(self, mel: torch.Tensor) -> torch.Tensor:
        """One vector per sound, ``(B, 2w)``: the feature map max-pooled over frequency and time."""
        return self.features(mel).amax(dim=(2, 3))

    def sequence(self, mel: torch.Tensor, steps: int) -> torch.Tensor:
        """One vector per time step, ``(B, 2w, steps)``: max over frequency, then time averaged into ``steps`` bins."""
        f = self.features(mel).amax(dim=2)  # (B, 2w, F/4)
        return F.adaptive_avg_pool1d(f, steps)  # (B, 2w, steps)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(mel))  # (B, K)


def video_embedding(model: CNN3D, video: torch.Tensor) -> torch.Tensor:
    """The clip embedding of a :class:`~vulib.models.CNN3D` (its features max-pooled over T, H, W): ``(B, 2w)``;
    the same as ``model.embed(video)``."""
    return model.embed(video)


def _log_mean_softmax(*logits: torch.Tensor) -> torch.Tensor:
    probs = torch.stack([z.float().softmax(-1) for z in logits]).mean(0)  # (B, K)
    return probs.clamp_min(1e-12).log()


class LateAVFusion(nn.Module):
    """Late fusion: a video classifier and a sound classifier, trained apart; their probabilities averaged.

    ``forward(video (B, C, T, H, W), mel (B, 1, M, F))`` returns the log of the average of the two
    softmax outputs ``(B, K)`` (so ``argmax`` and cross-entropy work as usual). Nothing here is trained:
    each stream votes with what it knows, and a stream that cannot tell spreads its vote evenly.
    """

    def __init__(self, video_model: nn.Module, audio_model: nn.Module) -> None:
        super().__init__()
        self.video_model, self.audio_model = video_model, audio_model

    def forward(self, video: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        return _log_mean_softmax(self.video_model(video), self.audio_model(mel))


class MidAVFusion(nn.Module):
    """Mid fusion: concatenate a clip embedding and a sound embedding, then an MLP: ``(B, K)`` logits.

    Shapes: :class:`~vulib.models.CNN3D` features -> ``(B, Dv)``; :class:`AudioCNN` -> ``(B, Da)``;
    concatenated ``(B, Dv + Da)`` -> batch norm - linear ``hidden`` - ReLU - linear ``(B, K)``.
    The encoders are the existing ones (their own classifier heads go unused).
    """

    def __init__(self, video_model: CNN3D, audio_model: AudioCNN, classes: int = 2, *, hidden: int = 64) -> None:
        super().__init__()
        self.classes = classes
        self.video_model, self.audio_model = video_model, audio_model
        d = video_model.head.in_features + audio_model.out_channels
        self.head = nn.Sequential(nn.BatchNorm1d(d), nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, video: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        v = self.video_model.embed(video)  # (B, Dv)
        a = self.audio_model.embed(mel)  # (B, Da)
        return self.head(torch.cat([v, a], dim=1))  # (B, K)


class AVCorrespondence(nn.Module):
    """Does this sound belong to this clip? Two towers, logits ``(B, 2)`` (0: no, 1: yes).

    Towers: :class:`~vulib.models.FrameCNN` on every frame ``(B, T, D, H/4, W/4)`` and :class:`AudioCNN`
    features ``(B, D, M/4, F/4)``, both projected to ``dim`` channels by 1x1 convolutions.

    * ``temporal=False`` (time pooled away): the visual map (after a ReLU) is max-pooled over time
      ``(B, dim, H/4, W/4)``, the sound over frequency and time ``(B, dim)``. A small MLP (1x1
      convolutions) scores a pair (visual vector, sound vector); the "yes" log-odds are its score for
      the whole picture's vector (the map max-pooled over space: each channel at its strongest
      position). The same MLP applied at every position gives a map ``(B, H/4, W/4)``
      (:meth:`similarity_map`) of where the sound fits the picture (the idea of Objects that Sound,
      Arandjelovic & Zisserman 2018). No unit of this model knows *when* anything happened.
    * ``temporal=True`` (time kept): the visual map is max-pooled over space ``(B, dim, T)``, the sound
      over frequency and averaged into ``T`` steps ``(B, dim, T)``; both are concatenated ``(B, 2 dim, T)``
      and 1D convolutions over time (kernel 3) compare them step by step before a max over time.
      Its :meth:`similarity_map` runs the same comparison on each position's sequence over time.
    """

    def __init__(
        self, channels: int = 3, *, temporal: bool = False, width: int = 16, dim: int = 32, hidden: int = 32
    ) -> None:
        super().__init__()
        self.temporal, self.channels = temporal, channels
        self.visual = FrameCNN(channels, width=width)
        self.audio = AudioCNN(classes=2, width=width)
        self.visual_proj = nn.Conv2d(self.visual.out_channels, dim, 1)
        self.audio_proj = nn.Conv1d(self.audio.out_channels, dim, 1)
        if temporal:
            self.compare = nn.Sequential(
                nn.Conv1d(2 * dim, hidden, 3, padding=1),
                nn.BatchNorm1d(hidden),
                nn.ReLU(),
                nn.Conv1d(hidden, hidden, 3, padding=1),
                nn.ReLU(),
            )
            self.head = nn.Linear(hidden, 2)
        else:  # "does this sound fit this visual vector?"
            self.compare = nn.Sequential(
                nn.BatchNorm2d(2 * dim), nn.Conv2d(2 * dim, hidden, 1), nn.ReLU(), nn.Conv2d(hidden, 1, 1)
            )

    def _visual(self, video: torch.Tensor) -> torch.Tensor:
        check_video(video, channels=self.channels)
        f = per_frame(self.visual, video)  # (B, T, Dv, h, w)
        B, T = f.shape[:2]
        f = self.visual_proj(f.flatten(0, 1))  # (B*T, dim, h, w)
        return f.view(B, T, *f.shape[1:])  # (B, T, dim, h, w)

    def _pooled_towers(self, video: torch.Tensor, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v = F.relu(self._visual(video)).amax(dim=1)  # (B, dim, h, w): time pooled away
        a = self.audio_proj(self.audio.features(mel).amax(dim=2)).amax(dim=2)  # (B, dim): one vector per sound
        return v, a

    def _score(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """Log-odds ``(B, h, w)`` that the sound ``a (B, dim)`` fits the visual vectors ``v (B, dim, h, w)``."""
        a = a[:, :, None, None].expand(-1, -1, *v.shape[2:])  # (B, dim, h, w): the sound everywhere
        return self.compare(torch.cat([v, a], dim=1))[:, 0]  # (B, h, w)

    def similarity_map(self, video: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        """How well the sound fits what happens at each position: "yes" log-odds ``(B, H/4, W/4)``.

        The model's comparison applied to each position's visual vector (or, with ``temporal=True``,
        each position's sequence of vectors over time) instead of the whole picture's. Its peak is where
        the model thinks the sound comes from.
        """
        if not self.temporal:
            v, a = self._pooled_towers(video, mel)
            return self._score(v, a)
        v = self._visual(video)  # (B, T, dim, h, w)
        B, T, D, h, w = v.shape
        v = v.permute(0, 3, 4, 2, 1).reshape(B * h * w, D, T)  # (B*h*w, dim, T): one sequence per position
        a = self.audio_proj(self.audio.sequence(mel, T))  # (B, dim, T)
        a = a.repeat_interleave(h * w, dim=0)  # (B*h*w, dim, T)
        z = self.head(self.compare(torch.cat([v, a], dim=1)).amax(dim=2))  # (B*h*w, 2)
        return (z[:, 1] - z[:, 0]).view(B, h, w)

    def forward(self, video: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        if self.temporal:
            v = self._visual(video).amax(dim=(3, 4)).transpose(1, 2)  # (B, dim, T)
            a = self.audio_proj(self.audio.sequence(mel, v.shape[2]))  # (B, dim, T)
            z = self.compare(torch.cat([v, a], dim=1)).amax(dim=2)  # (B, hidden)
            return self.head(z)  # (B, 2)
        v, a = self._pooled_towers(video, mel)
        score = self._score(v.amax(dim=(2, 3), keepdim=True), a)[:, 0, 0]  # (B,): the whole picture's vector
        return torch.stack([-score / 2, score / 2], dim=1)  # (B, 2): log-odds of "yes" = score
