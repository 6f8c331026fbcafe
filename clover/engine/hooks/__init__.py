from .collapse_hook import ContrastiveCollapseHook
from .console_hook import ConsoleProgressHook
from .retrieval_vis_hook import RetrievalVisHook

__all__ = [
    'ConsoleProgressHook', 'ContrastiveCollapseHook', 'RetrievalVisHook'
]
