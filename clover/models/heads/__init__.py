from .mlm_head import MLMHead
from .projection_head import ProjectionHead

__all__ = ['MLMHead', 'ProjectionHead']
