"""Video-text retrieval dataset on Clover's annotation schema.

Records (``docs/data_preparation.md``)::

    {"video_id": "video7010", "video": "video7010.mp4",
     "captions": ["a man is driving a car", ...]}

Records may carry more fields; they are passed through to the pipeline
unchanged. Reading, the bad-video skipping and the seeding of random
transforms are those of :class:`~clover.datasets.VideoTextBaseDataset`.
"""
from typing import List

from clover.registry import DATASETS
from .base_dataset import AnnotationError, VideoTextBaseDataset

CAPTION_MODES = ('video', 'caption')


@DATASETS.register_module()
class VideoTextRetrievalDataset(VideoTextBaseDataset):
    """Videos with captions, for retrieval training and evaluation.

    Each item given to the pipeline is a dict with:

    - ``video_path`` (str): ``data_prefix['video']`` joined with the record's
      ``video``.
    - ``video_id`` (str): the record's id.
    - ``captions`` (list[str]): all its captions (``caption_mode='video'``)
      or the one caption of this pair (``caption_mode='caption'``).
    - ``video_index`` (int): position of the video in the annotation file;
      the retrieval metric orders its gallery by it.
    - ``caption_index`` (int, ``'caption'`` mode only): position of the
      caption in the video's list.
    - any other field of the record, unchanged.

    Args:
        ann_file (str): Annotation JSON file.
        caption_mode (str): ``'video'``: one item per video with all its
            captions; ``'caption'``: one item per (video, caption) pair.
            Defaults to ``'video'``.
        **kwargs: The arguments of :class:`VideoTextBaseDataset`
            (``data_prefix``, ``pipeline``, ``test_mode``,
            ``max_bad_fraction``...).
    """

    required_fields = dict(VideoTextBaseDataset.required_fields,
                           captions=list)
    reserved_fields = VideoTextBaseDataset.reserved_fields + (
        'caption_index', )

    def __init__(self,
                 ann_file: str,
                 caption_mode: str = 'video',
                 **kwargs) -> None:
        if caption_mode not in CAPTION_MODES:
            raise ValueError(f'caption_mode must be one of {CAPTION_MODES}, '
                             f'got {caption_mode!r}')
        self.caption_mode = caption_mode
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read and validate the annotation file.

        Returns:
            list[dict]: One item per video or per (video, caption) pair.

        Raises:
            FileNotFoundError: If the file does not exist.
            AnnotationError: (a ``ValueError``) if the file is not JSON or
                breaks the schema; the message names the file, the record
                index and video id, and the field.
        """
        data_list = super().load_data_list()
        if self.caption_mode == 'video':
            return data_list
        return [
            dict(info, captions=[caption], caption_index=caption_index)
            for info in data_list
            for caption_index, caption in enumerate(info['captions'])
        ]

    def _check_fields(self, record: dict, where: str) -> None:
        """Check the task's own fields (here the captions); ``where`` starts
        the error message."""
        captions = record['captions']
        if not captions:
            raise AnnotationError(f"{where}: field 'captions' is empty")
        for caption_index, caption in enumerate(captions):
            if not isinstance(caption, str):
                raise AnnotationError(
                    f"{where}: field 'captions'[{caption_index}] must be "
                    f'str, got {type(caption).__name__}')
            if not caption.strip():
                raise AnnotationError(
                    f"{where}: field 'captions'[{caption_index}] is empty "
                    'or whitespace')
