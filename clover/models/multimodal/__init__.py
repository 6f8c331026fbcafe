from .clover_pretrain import CloverPretrain
from .clover_retrieval import CloverRetrieval

__all__ = ['CloverPretrain', 'CloverRetrieval']
