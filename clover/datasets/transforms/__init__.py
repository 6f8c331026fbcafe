from .base import BaseTransform
from .formatting import PackVideoTextInputs, SampleCaptions
from .image_loading import LoadImageAsClip
from .loading import SampleFrames, VideoDecode, VideoInit
from .processing import (CenterCrop, Flip, RandomCrop, RandomResizedCrop,
                         Resize)
from .question_text import FormatQuestionText
from .text import TokenizeText
from .text_masking import SemanticTextMasking
from .video_masking import BlockMaskGenerator

__all__ = [
    'BaseTransform', 'VideoInit', 'SampleFrames', 'VideoDecode', 'Resize',
    'RandomResizedCrop', 'RandomCrop', 'CenterCrop', 'Flip', 'SampleCaptions',
    'PackVideoTextInputs', 'TokenizeText', 'SemanticTextMasking',
    'BlockMaskGenerator', 'LoadImageAsClip', 'FormatQuestionText'
]
