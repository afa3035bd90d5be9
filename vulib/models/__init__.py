"""The models the notebooks build, each taking clips ``(B, C, T, H, W)``.

Every model here is first written out in plain PyTorch inside the notebook that teaches
it; this package is where the same code lives for reuse by later lessons. It holds networks only
(and the losses and pre/post-processing that belong to one network): the loops that train them are in
:mod:`vulib.train`, and nothing here imports training or data loading. Every constructor follows one
convention (see CONTRIBUTING.md, "How to add a model").
"""

from __future__ import annotations

from .attention import NonLocalBlock
from .audio import AudioCNN, AVCorrespondence, LateAVFusion, MidAVFusion, video_embedding
from .backbones import CNN3D, FrameCNN, per_frame
from .c3d import C3D
from .efficient import TSM, Conv2Plus1d, R2Plus1D, StreamingTSM, TemporalShift, mid_channels_2plus1d
from .fusion import EarlyFusion, LateFusionFC, LateFusionPool, SingleFrame
from .language import SingleFrameEncoder, TextEncoder, VideoLM, VideoTextModel
from .localization import (
    LocalizationHead,
    SnippetEncoder,
    decode_segments,
    encode_snippets,
    sliding_window_segments,
    snippet_clips,
    snippet_labels,
)
from .recurrent import CNNRNN, RCN, ConvGRUCell, sequential_steps
from .registry import available_models, build_model
from .slowfast import SlowFast, lateral_connection
from .two_stream import TwoStream
from .video_vit import VideoViT, tubelet_from_patch
from .x3d import X3D, X3DBlock

__all__ = [
    "NonLocalBlock",
    "FrameCNN",
    "per_frame",
    "SingleFrame",
    "LateFusionFC",
    "LateFusionPool",
    "EarlyFusion",
    "CNN3D",
    "C3D",
    "CNNRNN",
    "ConvGRUCell",
    "RCN",
    "sequential_steps",
    "TwoStream",
    "available_models",
    "build_model",
]
__all__ += ["VideoViT", "tubelet_from_patch"]  # 08
__all__ += [
    "SnippetEncoder",
    "LocalizationHead",
    "snippet_clips",
    "snippet_labels",  # 09
    "encode_snippets",
    "sliding_window_segments",
    "decode_segments",
]
__all__ += ["AudioCNN", "AVCorrespondence", "LateAVFusion", "MidAVFusion", "video_embedding"]  # 10
__all__ += ["TemporalShift", "TSM", "StreamingTSM", "Conv2Plus1d", "R2Plus1D", "mid_channels_2plus1d"]  # 11
__all__ += ["TextEncoder", "VideoTextModel", "SingleFrameEncoder", "VideoLM"]  # 12
__all__ += ["SlowFast", "lateral_connection", "X3D", "X3DBlock"]  # 13
