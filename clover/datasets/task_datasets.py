"""Datasets of the downstream tasks, reading Clover's one annotation schema.

Every task file is ``{"metainfo": {...}, "data_list": [...]}`` with
``metainfo.task`` naming the task (``docs/data_preparation.md``):

- ``image_text``: retrieval records (``video_id``, ``video``, ``captions``)
  whose ``video`` is an image file (CC3M).
- ``qa_open``: ``question_id``, ``video_id``, ``video``, ``question``,
  ``answer`` and optional ``question_type``; ``metainfo.answer_vocab`` lists
  the answer classes.
- ``fill_in_blank``: as ``qa_open``, with the blank written as ``[MASK]``
  exactly once in ``question``.
- ``multiple_choice``: ``question_id``, ``video_id``, ``video``,
  ``question`` (may be ``""``), ``candidates`` and ``answer_index``.

A question dataset has one item per question; a video may carry many
questions, so ``video_id`` repeats and ``question_id`` is the unique key.
Reading, the bad-video skipping, the seeding of random transforms and the
checks of the file's top level are those of
:class:`~clover.datasets.VideoTextBaseDataset`; the question datasets and
the retrieval one are its siblings.
"""
from typing import Dict, List, Optional

from mmengine.logging import MMLogger

from clover.registry import DATASETS
from .base_dataset import AnnotationError, VideoTextBaseDataset
from .video_text_dataset import VideoTextRetrievalDataset

MASK_TOKEN = '[MASK]'


@DATASETS.register_module()
class ImageTextDataset(VideoTextRetrievalDataset):
    """Images with captions (CC3M), read like retrieval videos.

    The records are retrieval records whose ``video`` is an image path
    relative to ``data_prefix['video']``; pair it with a pipeline starting
    with :class:`~clover.datasets.transforms.LoadImageAsClip`. Items,
    arguments and bad-file handling are those of
    :class:`VideoTextRetrievalDataset`; the file must have
    ``metainfo.task == 'image_text'``.
    """

    task = 'image_text'


class VideoQuestionDataset(VideoTextBaseDataset):
    """Base of the question datasets: one item per question.

    Items are the records (every field unchanged) plus ``video_path`` and
    ``video_index``, as in :class:`VideoTextBaseDataset`, whose arguments
    (``data_prefix``, ``pipeline``, ``test_mode``, ``max_bad_fraction``...)
    they take. Subclasses set ``task``, extend ``required_fields`` and check
    their own fields in :meth:`_check_question`.
    """

    required_fields = {
        'question_id': str,
        'video_id': str,
        'video': str,
        'question': str
    }
    id_field = 'question_id'
    # Fields that must hold visible text.
    non_empty_fields = ('question_id', 'video_id', 'video')

    def _check_fields(self, record: dict, where: str) -> None:
        question_type = record.get('question_type')
        if question_type is not None and not isinstance(question_type, str):
            raise AnnotationError(
                f"{where}: field 'question_type' must be str, got "
                f'{type(question_type).__name__}')
        self._check_question(record, where)

    def _check_question(self, record: dict, where: str) -> None:
        """Check the task's own fields; ``where`` starts the message."""


@DATASETS.register_module()
class VideoQADataset(VideoQuestionDataset):
    """Open-ended video question answering (MSRVTT-QA, MSVD-QA,
    TGIF-FrameQA) as classification over ``metainfo.answer_vocab``.

    Items carry the record fields (``question_id``, ``video_id``,
    ``question``, ``answer``, optional ``question_type``), ``video_path``,
    ``video_index`` (record position in the file) and ``answer_label`` (int:
    index of ``answer`` in ``metainfo.answer_vocab``, -1 when outside it).

    Training sets drop the questions they cannot learn (answer outside the
    vocabulary) and log how many; test sets keep them, so the metric counts
    them wrong. ``video_index`` keeps the file position, so after dropping it
    has gaps.

    Args:
        ann_file (str): Annotation JSON file with
            ``metainfo.task == 'qa_open'`` and ``metainfo.answer_vocab``
            (list of distinct str).
        drop_unanswerable (bool, optional): Drop questions whose answer is
            outside the vocabulary; the number is in ``num_dropped``. None
            means ``not test_mode``. Defaults to None.
        test_mode (bool): Evaluation dataset. Defaults to False.
        **kwargs: Other :class:`VideoTextBaseDataset` arguments
            (``data_prefix``, ``pipeline``, ``max_bad_fraction``...).
    """

    task = 'qa_open'
    required_fields = dict(VideoQuestionDataset.required_fields, answer=str)
    reserved_fields = VideoQuestionDataset.reserved_fields + ('answer_label', )
    non_empty_fields = VideoQuestionDataset.non_empty_fields + ('question',
                                                                'answer')

    def __init__(self,
                 ann_file: str,
                 drop_unanswerable: Optional[bool] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.drop_unanswerable = (not test_mode if drop_unanswerable is None
                                  else drop_unanswerable)
        self.num_dropped = 0
        super().__init__(ann_file=ann_file, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the questions, label their answers and drop the
        unanswerable ones if asked.

        Returns:
            list[dict]: One item per (kept) question, with ``answer_label``.

        Raises:
            AnnotationError: As :meth:`VideoQuestionDataset.load_data_list`,
                and if ``metainfo.answer_vocab`` is missing or bad, or if no
                question is left after dropping.
        """
        data_list = super().load_data_list()
        label_of_answer = self._answer_labels()
        for info in data_list:
            info['answer_label'] = label_of_answer.get(info['answer'], -1)
        if not self.drop_unanswerable:
            return data_list
        answerable = [info for info in data_list if info['answer_label'] >= 0]
        self.num_dropped = len(data_list) - len(answerable)
        if not answerable:
            raise AnnotationError(
                f'{self.ann_file}: no answer is in metainfo.answer_vocab, '
                'so drop_unanswerable=True leaves no question')
        MMLogger.get_current_instance().info(
            f'{self.ann_file}: dropped {self.num_dropped} of '
            f'{len(data_list)} questions whose answer is not in '
            'metainfo.answer_vocab (drop_unanswerable=True)')
        return answerable

    def _answer_labels(self) -> Dict[str, int]:
        """Map each answer of ``metainfo.answer_vocab`` to its label."""
        vocab = self._metainfo.get('answer_vocab')
        field = "field 'metainfo.answer_vocab'"
        if vocab is None:
            raise AnnotationError(f'{self.ann_file}: no {field}; {self.task} '
                                  'files list their answer classes there')
        if not isinstance(vocab, list) or not vocab:
            raise AnnotationError(
                f'{self.ann_file}: {field} must be a non-empty list, got '
                f'{vocab!r:.60}')
        label_of_answer = {}
        for label, answer in enumerate(vocab):
            if not isinstance(answer, str):
                raise AnnotationError(
                    f'{self.ann_file}: {field}[{label}] must be str, got '
                    f'{type(answer).__name__}')
            if answer in label_of_answer:
                raise AnnotationError(
                    f'{self.ann_file}: {field} lists {answer!r} twice '
                    f'(at {label_of_answer[answer]} and {label})')
            label_of_answer[answer] = label
        return label_of_answer


@DATASETS.register_module()
class VideoFillInBlankDataset(VideoQADataset):
    """Fill-in-the-blank (LSMDC-FiB): predict the word of the blank.

    Like :class:`VideoQADataset` (items, ``answer_label``,
    ``drop_unanswerable``), for files with ``metainfo.task ==
    'fill_in_blank'`` whose ``question`` contains the blank as the literal
    token ``[MASK]`` exactly once.
    """

    task = 'fill_in_blank'

    def _check_question(self, record: dict, where: str) -> None:
        count = record['question'].count(MASK_TOKEN)
        if count != 1:
            raise AnnotationError(
                f"{where}: field 'question' must contain {MASK_TOKEN} "
                f'exactly once, found {count}: {record["question"]!r}')


@DATASETS.register_module()
class VideoMultipleChoiceDataset(VideoQuestionDataset):
    """Multiple-choice video QA (TGIF-Action, TGIF-Transition, LSMDC-MC,
    MSRVTT-MC): pick the right one of the candidates.

    Items carry the record fields (``question_id``, ``video_id``,
    ``question``, which may be ``""``, ``candidates`` and ``answer_index``),
    ``video_path`` and ``video_index`` (record position in the file).

    Args:
        ann_file (str): Annotation JSON file with
            ``metainfo.task == 'multiple_choice'``.
        num_candidates (int, optional): Number of candidates every question
            must have; None accepts any non-empty list. Defaults to 5.
        **kwargs: Other :class:`VideoTextBaseDataset` arguments
            (``data_prefix``, ``pipeline``, ``test_mode``...).
    """

    task = 'multiple_choice'
    required_fields = dict(
        VideoQuestionDataset.required_fields,
        candidates=list,
        answer_index=int)

    def __init__(self,
                 ann_file: str,
                 num_candidates: Optional[int] = 5,
                 **kwargs) -> None:
        if num_candidates is not None and num_candidates < 1:
            raise ValueError(
                f'num_candidates must be >= 1 or None, got {num_candidates}')
        self.num_candidates = num_candidates
        super().__init__(ann_file=ann_file, **kwargs)

    def _check_question(self, record: dict, where: str) -> None:
        candidates = record['candidates']
        if self.num_candidates is not None:
            if len(candidates) != self.num_candidates:
                raise AnnotationError(
                    f"{where}: field 'candidates' has {len(candidates)} "
                    f'entries, expected num_candidates={self.num_candidates}')
        elif not candidates:
            raise AnnotationError(f"{where}: field 'candidates' is empty")
        for index, candidate in enumerate(candidates):
            if not isinstance(candidate, str):
                raise AnnotationError(
                    f"{where}: field 'candidates'[{index}] must be str, got "
                    f'{type(candidate).__name__}')
            if not candidate.strip():
                raise AnnotationError(
                    f"{where}: field 'candidates'[{index}] is empty or "
                    'whitespace')
        if not 0 <= record['answer_index'] < len(candidates):
            raise AnnotationError(
                f"{where}: field 'answer_index' is {record['answer_index']}, "
                f'outside [0, {len(candidates)})')
