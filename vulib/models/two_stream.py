"""Two-stream networks (Simonyan & Zisserman, 2014), taught in notebook 04.

A *spatial* stream sees RGB frames (appearance), a *temporal* stream sees a stack of optical-flow
fields (motion); each is trained on its own, and their class probabilities are averaged.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..tensors import check_video

__all__ = ["TwoStream"]


class TwoStream(nn.Module):
    """Late fusion of two trained streams by averaging their softmax scores.

    Shapes: ``video (B, 3, T, H, W)`` -> ``spatial`` -> logits ``(B, K)``; ``flow (B, 2, L, H, W)`` -> ``temporal``
    -> logits ``(B, K)``; output: the log of the average of the two probability vectors ``(B, K)`` (so that
    ``argmax`` and cross-entropy work as usual).

    Any two models with those inputs will do; notebook 04 uses :class:`~vulib.models.SingleFrame` (frames
    classified one at a time, averaged) and :class:`~vulib.models.EarlyFusion` with ``channels=2, frames=L``
    (a 2D CNN whose first layer sees all ``2L`` flow channels).
    """

    def __init__(self, spatial: nn.Module, temporal: nn.Module) -> None:
        super().__init__()
        self.spatial, self.temporal = spatial, temporal

    def stream_probs(self, video: torch.Tensor, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class probabilities of each stream, ``(B, K)`` each."""
        check_video(video, name="video")
        check_video(flow, channels=2, name="flow stack")
        if video.shape[0] != flow.shape[0]:
            raise ValueError(
                f"video and flow must hold the same clips, got batches of {video.shape[0]} and {flow.shape[0]}"
            )
        return self.spatial(video).float().softmax(-1), self.temporal(flow).float().softmax(-1)

    def forward(self, video: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        p_spatial, p_temporal = self.stream_probs(video, flow)
        return ((p_spatial + p_temporal) / 2).clamp_min(1e-12).log()  # (B, K)
