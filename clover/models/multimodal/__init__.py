from .clover_base import CloverBase
from .clover_pretrain import CloverPretrain
from .clover_retrieval import CloverRetrieval
from .clover_video_qa import (CloverFusionModel, CloverMultipleChoice,
                              CloverVideoQA)

__all__ = [
    'CloverBase', 'CloverPretrain', 'CloverRetrieval', 'CloverFusionModel',
    'CloverVideoQA', 'CloverMultipleChoice'
]
