from .dist import all_gather_with_grad, rank_offset

__all__ = ['all_gather_with_grad', 'rank_offset']
