"""Video backbones."""
from .swin3d import SwinTransformer3D
from .swin3d_checkpoint import SwinCheckpointReport, load_swin3d_checkpoint

__all__ = [
    'SwinTransformer3D', 'SwinCheckpointReport', 'load_swin3d_checkpoint'
]
