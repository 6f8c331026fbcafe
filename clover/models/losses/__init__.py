from .contrastive_loss import InfoNCELoss
from .focal_loss import FocalMLMLoss
from .tri_modal_loss import TriModalAlignmentLoss

__all__ = ['InfoNCELoss', 'TriModalAlignmentLoss', 'FocalMLMLoss']
