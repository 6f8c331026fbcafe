"""Inference on one's own videos and texts with a trained Clover."""
from .model import CheckpointMismatchError, init_model
from .retrieval import TextVideoRetrievalInferencer
from .video_qa import VideoQAInferencer

__all__ = [
    'CheckpointMismatchError', 'init_model', 'TextVideoRetrievalInferencer',
    'VideoQAInferencer'
]
