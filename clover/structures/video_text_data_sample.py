"""The typed sample that carries text, ids and answers from pipeline to metric."""
from typing import List, Optional, Union

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

    Fields set by the model in ``predict`` mode:

    - ``video_embedding`` (Tensor): ``(D,)`` L2-normalised video embedding.
    - ``text_embeddings`` (Tensor): ``(K, D)`` L2-normalised text embeddings,
      one row per entry of ``text``.
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
