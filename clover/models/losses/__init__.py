from .contrastive_loss import InfoNCELoss

__all__ = ['InfoNCELoss']
