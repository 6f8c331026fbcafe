"""The typed sample carrying texts, ids and answers from pipeline to metric."""
import operator
from typing import List, Optional, Sequence, Union

import torch
from mmengine.structures import BaseDataElement


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

    @property
    def text(self) -> List[str]:
        return self._text

    @text.setter
    def text(self, value: Union[str, List[str]]) -> None:
        self.set_field([value] if isinstance(value, str) else list(value),
                       '_text', dtype=list)

    @text.deleter
    def text(self) -> None:
        del self._text

    @property
    def num_texts(self) -> int:
        """Number of texts carried by this sample (0 if none)."""
        return len(self._text) if 'text' in self else 0

    @property
    def video_embedding(self) -> Optional[torch.Tensor]:
        return self._video_embedding

    @video_embedding.setter
    def video_embedding(self, value: torch.Tensor) -> None:
        self.set_field(value, '_video_embedding', dtype=torch.Tensor)

    @video_embedding.deleter
    def video_embedding(self) -> None:
        del self._video_embedding

    @property
    def text_embeddings(self) -> Optional[torch.Tensor]:
        return self._text_embeddings

    @text_embeddings.setter
    def text_embeddings(self, value: torch.Tensor) -> None:
        self.set_field(value, '_text_embeddings', dtype=torch.Tensor)

    @text_embeddings.deleter
    def text_embeddings(self) -> None:
        del self._text_embeddings

    @property
    def gt_label(self) -> int:
        return self._gt_label

    @gt_label.setter
    def gt_label(self, value: int) -> None:
        self.set_field(operator.index(value), '_gt_label', dtype=int)

    @gt_label.deleter
    def gt_label(self) -> None:
        del self._gt_label

    @property
    def pred_label(self) -> int:
        return self._pred_label

    @pred_label.setter
    def pred_label(self, value: int) -> None:
        # operator.index takes ints, NumPy ints and one-element integer
        # tensors, and rejects floats instead of truncating them.
        self.set_field(operator.index(value), '_pred_label', dtype=int)

    @pred_label.deleter
    def pred_label(self) -> None:
        del self._pred_label

    @property
    def pred_scores(self) -> torch.Tensor:
        return self._pred_scores

    @pred_scores.setter
    def pred_scores(self, value: torch.Tensor) -> None:
        if not isinstance(value, torch.Tensor):
            raise TypeError('pred_scores must be a tensor, got '
                            f'{type(value).__name__}')
        if value.dim() != 1:
            raise ValueError('pred_scores must be 1-D, (A,) or (K,), got '
                             f'shape {tuple(value.shape)}')
        self.set_field(value, '_pred_scores', dtype=torch.Tensor)

    @pred_scores.deleter
    def pred_scores(self) -> None:
        del self._pred_scores


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
