from .base import BaseTransform
from .formatting import PackVideoTextInputs, SampleCaptions
from .loading import SampleFrames, VideoDecode, VideoInit
from .processing import CenterCrop, Flip, RandomResizedCrop, Resize
from .text import TokenizeText

__all__ = [
    'BaseTransform', 'VideoInit', 'SampleFrames', 'VideoDecode', 'Resize',
    'RandomResizedCrop', 'CenterCrop', 'Flip', 'SampleCaptions',
    'PackVideoTextInputs', 'TokenizeText'
]
