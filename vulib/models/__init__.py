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
from .registry import available_models, build_model
from .language import SingleFrameEncoder, TextEncoder, VideoLM, VideoTextModel

__all__ = ["NonLocalBlock", "FrameCNN", "SingleFrame", "LateFusionFC", "LateFusionPool", "EarlyFusion", "CNN3D", "C3D",
           "CNNRNN", "ConvGRUCell", "RCN", "sequential_steps", "TwoStream",
           "available_models", "build_model",
           "TextEncoder", "VideoTextModel", "SingleFrameEncoder", "VideoLM"]
