from .mlm_head import MLMHead
from .pretrain_head import PretrainHead
from .projection_head import ProjectionHead
from .qa_heads import MultipleChoiceHead, OpenEndedQAHead
from .retrieval_head import RetrievalHead

__all__ = [
    'MLMHead', 'ProjectionHead', 'RetrievalHead', 'PretrainHead',
    'OpenEndedQAHead', 'MultipleChoiceHead'
]
