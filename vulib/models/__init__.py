"""The models the notebooks build, each taking clips ``(B, C, T, H, W)``.

Every model here is first written out in plain PyTorch inside the notebook that teaches
it; this package is where the same code lives for reuse by later lessons.
"""
from __future__ import annotations

from .attention import NonLocalBlock
from .c3d import C3D
from .fusion import CNN3D, EarlyFusion, FrameCNN, LateFusionFC, LateFusionPool, SingleFrame
from .recurrent import CNNRNN, RCN, ConvGRUCell, sequential_steps
from .two_stream import TwoStream
from .efficient import TSM, Conv2Plus1d, R2Plus1D, StreamingTSM, TemporalShift, mid_channels_2plus1d
from .registry import available_models, build_model
from .video_vit import VideoViT, tubelet_from_patch
from .localization import (LocalizationHead, SnippetEncoder, decode_segments, encode_snippets, fit_head,
                           sliding_window_segments, snippet_clips, snippet_labels, suppress)
from .audio import AudioCNN, AVCorrespondence, LateAVFusion, MidAVFusion, video_embedding
from .language import SingleFrameEncoder, TextEncoder, VideoLM, VideoTextModel

__all__ = ["NonLocalBlock", "FrameCNN", "SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion", "CNN3D", "C3D",
           "CNNRNN", "ConvGRUCell", "RCN", "sequential_steps", "TwoStream",
           "available_models", "build_model"]
__all__ += ["VideoViT", "tubelet_from_patch"]                                          # 08
__all__ += ["SnippetEncoder", "LocalizationHead", "snippet_clips", "snippet_labels",   # 09
            "encode_snippets", "sliding_window_segments", "fit_head", "decode_segments", "suppress"]
__all__ += ["AudioCNN", "AVCorrespondence", "LateAVFusion", "MidAVFusion", "video_embedding"]  # 10
__all__ += ["TemporalShift", "TSM", "StreamingTSM", "Conv2Plus1d", "R2Plus1D", "mid_channels_2plus1d"]  # 11
__all__ += ["TextEncoder", "VideoTextModel", "SingleFrameEncoder", "VideoLM"]  # 12
from .slowfast import SlowFast, lateral_connection  # noqa: E402
from .x3d import X3D, X3DBlock  # noqa: E402

__all__ += ["SlowFast", "lateral_connection", "X3D", "X3DBlock"]  # 13
