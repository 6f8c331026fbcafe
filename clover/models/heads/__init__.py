from .mlm_head import MLMHead
from .projection_head import ProjectionHead
from .qa_heads import MultipleChoiceHead, OpenEndedQAHead

__all__ = [
    'MLMHead', 'ProjectionHead', 'OpenEndedQAHead', 'MultipleChoiceHead'
]
