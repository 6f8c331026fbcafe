from .collapse_hook import ContrastiveCollapseHook
from .console_hook import ConsoleProgressHook
from .exact_resume_hook import ExactResumeHook
from .iter_checkpoint_hook import IterCheckpointHook
from .retrieval_vis_hook import RetrievalVisHook

__all__ = [
    'ConsoleProgressHook', 'ContrastiveCollapseHook', 'ExactResumeHook',
    'IterCheckpointHook', 'RetrievalVisHook'
]
