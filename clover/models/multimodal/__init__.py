from .clover_retrieval import CloverRetrieval

__all__ = ['CloverRetrieval']
