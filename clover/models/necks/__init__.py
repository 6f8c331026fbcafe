"""Necks: modules between the encoders and the heads."""
from .fusion_transformer import FusionOutput, FusionTransformer

__all__ = ['FusionOutput', 'FusionTransformer']
