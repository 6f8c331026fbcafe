from .qa_metrics import (MultipleChoiceRetrievalAccuracy, VideoQAAccuracy,
                         is_strictly_best)
from .retrieval_metric import (RetrievalMetric, recall_summary, t2v_ranks,
                               v2t_ranks)

__all__ = [
    'RetrievalMetric', 't2v_ranks', 'v2t_ranks', 'recall_summary',
    'VideoQAAccuracy', 'MultipleChoiceRetrievalAccuracy', 'is_strictly_best'
]
