"""The typed sample carrying texts, ids and answers from pipeline to metric."""
import operator
from typing import Any, Callable, Optional, Sequence

import torch
from mmengine.structures import BaseDataElement


def typed_field(name: str,
                dtype: type,
                convert: Optional[Callable[[Any], Any]] = None,
                doc: Optional[str] = None) -> property:
    """A data field stored as ``_name``, converted by ``convert`` and
    type-checked by :meth:`BaseDataElement.set_field` when set (MMEngine
    lists such property-backed fields under their public name)."""
    private = f'_{name}'

    def setter(self, value) -> None:
        self.set_field(value if convert is None else convert(value),
                       private, dtype=dtype)

    return property(lambda self: getattr(self, private), setter,
                    lambda self: delattr(self, private), doc)


def _check_scores(value: torch.Tensor) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError('pred_scores must be a tensor, got '
                        f'{type(value).__name__}')
    if value.dim() != 1:
        raise ValueError('pred_scores must be 1-D, (A,) or (K,), got '
                         f'shape {tuple(value.shape)}')
    return value


class VideoTextDataSample(BaseDataElement):
    """One video (or image) with its texts, passed from the pipeline to the
    model and from the model to the metrics.

    Fields set by the pipeline (meta information, not tensors):

    - ``text`` (list[str]): the captions (or questions) that go with this clip,
      one entry per text fed to the model. Training usually samples one.
    - ``video_index`` (int): index of the record in its dataset; the metric
      uses it to build the gallery in dataset order.
    - ``video_path`` (str): the file the clip was decoded from.

    Question-answering meta information (copied from the dataset item when
    :class:`~clover.datasets.transforms.PackVideoTextInputs` lists them in
    ``meta_keys``):

    - ``question_id`` (str): unique key of the question in its file.
    - ``answer`` (str): the ground-truth answer (open QA, fill-in-the-blank).
    - ``answer_label`` (int): index of ``answer`` in the dataset's
      ``metainfo.answer_vocab``; -1 when the answer is outside it (the
      metric counts such a question wrong).
    - ``answer_index`` (int): index of the right candidate (multiple
      choice); ``text`` then holds one entry per candidate.
    - ``question_type`` (str, optional): e.g. ``'what'``, ``'who'`` for
      MSRVTT-QA, for per-type accuracy.

    Ground truth (a data field, set by
    :class:`~clover.datasets.transforms.PackVideoTextInputs` from the item's
    ``answer_label`` or ``answer_index``; the heads' losses and the metrics
    read it):

    - ``gt_label`` (int): the index of the right answer class (open QA,
      fill-in-the-blank; -1 when the answer is outside the vocabulary) or of
      the right candidate (multiple choice).

    Fields set by the model in ``predict`` mode:

    - ``video_embedding`` (Tensor): ``(D,)`` L2-normalised video embedding.
    - ``text_embeddings`` (Tensor): ``(K, D)`` L2-normalised text embeddings,
      one row per entry of ``text``.
    - ``pred_label`` (int): the predicted answer class (open QA,
      fill-in-the-blank) or candidate (multiple choice).
    - ``pred_scores`` (Tensor): ``(A,)`` scores over the A answer classes,
      or ``(K,)`` over the K candidates; ``pred_label`` is their argmax.
    """

    text = typed_field(
        'text', list,
        lambda value: [value] if isinstance(value, str) else list(value),
        'list[str]: the texts of this clip.')

    @property
    def num_texts(self) -> int:
        """Number of texts carried by this sample (0 if none)."""
        return len(self._text) if 'text' in self else 0

    video_embedding = typed_field(
        'video_embedding', torch.Tensor,
        doc='Tensor: ``(D,)`` L2-normalised video embedding.')
    text_embeddings = typed_field(
        'text_embeddings', torch.Tensor,
        doc='Tensor: ``(K, D)`` L2-normalised text embeddings.')
    # operator.index takes ints, NumPy ints and one-element integer tensors,
    # and rejects floats instead of truncating them.
    gt_label = typed_field('gt_label', int, operator.index,
                           'int: the ground-truth class or candidate.')
    pred_label = typed_field('pred_label', int, operator.index,
                             'int: the predicted class or candidate.')
    pred_scores = typed_field('pred_scores', torch.Tensor, _check_scores,
                              'Tensor: ``(A,)`` or ``(K,)`` scores.')


def sample_name(data_samples: Optional[Sequence[VideoTextDataSample]],
                index: int) -> str:
    """How an error message names the ``index``-th sample of a batch: by its
    ``question_id`` or ``video_path`` when it has one.

    Args:
        data_samples (Sequence[VideoTextDataSample], optional): The batch.
        index (int): Position of the sample in the batch.

    Returns:
        str: e.g. ``"sample 3 (question_id='q7')"``.
    """
    if data_samples is not None and index < len(data_samples):
        for key in ('question_id', 'video_path'):
            value = data_samples[index].get(key)
            if value is not None:
                return f'sample {index} ({key}={value!r})'
    return f'sample {index}'
