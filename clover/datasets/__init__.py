from .base_dataset import AnnotationError, VideoTextBaseDataset
from .samplers import ResumableSampler, SampleIndex, start_loader_at
from .task_datasets import (ImageTextDataset, VideoFillInBlankDataset,
                            VideoMultipleChoiceDataset, VideoQADataset,
                            VideoQuestionDataset)
from .transforms import *  # noqa: F401,F403
from .video_io import VideoDecodeError, open_video
from .video_text_dataset import VideoTextRetrievalDataset

__all__ = [
    'AnnotationError', 'VideoDecodeError', 'VideoTextBaseDataset',
    'VideoTextRetrievalDataset', 'ResumableSampler', 'SampleIndex',
    'start_loader_at',
    'open_video', 'ImageTextDataset', 'VideoQuestionDataset',
    'VideoQADataset', 'VideoFillInBlankDataset', 'VideoMultipleChoiceDataset'
]
