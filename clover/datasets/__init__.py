from .task_datasets import (ImageTextDataset, TaskFileMixin,
                            VideoFillInBlankDataset,
                            VideoMultipleChoiceDataset, VideoQADataset,
                            VideoQuestionDataset)
from .transforms import *  # noqa: F401,F403
from .video_io import VideoDecodeError, open_video
from .video_text_dataset import AnnotationError, VideoTextRetrievalDataset

__all__ = [
    'AnnotationError', 'VideoDecodeError', 'VideoTextRetrievalDataset',
    'open_video', 'ImageTextDataset', 'TaskFileMixin', 'VideoQuestionDataset',
    'VideoQADataset', 'VideoFillInBlankDataset', 'VideoMultipleChoiceDataset'
]
