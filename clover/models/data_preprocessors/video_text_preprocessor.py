"""Device-side batching and normalisation of video clips and token ids."""
from typing import List, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from clover.registry import MODELS


@MODELS.register_module()
class VideoTextDataPreprocessor(BaseDataPreprocessor):
    """Stack, move to the device and normalise clips; batch the texts.

    The pipeline leaves each clip as a uint8 ``(C, T, H, W)`` tensor in RGB
    order and each sample's texts as ``(K, L)`` token ids and masks. This
    module, running on the model's device, produces:

    - ``imgs``: float ``(B, C, T, H, W)``, ``(x - mean) / std``; with
      ``channel_order='bgr'`` the channels are reversed first (the official
      Clover model consumes BGR, ``clover_method.md`` §1.1).
    - ``text_ids`` / ``text_mask``: ``(N, L)``, the texts of all samples in
      order, where ``N = sum(K_b)``. Columns that are padding for every text
      of the batch are dropped (exact for a masked encoder, and cheaper).
    - ``text_to_video``: ``(N,)`` index of each text's sample in the batch.

    Args:
        mean (Sequence[float]): Per-channel mean in 0-255 units, in the
            order the model consumes. Defaults to ImageNet's RGB mean.
        std (Sequence[float]): Per-channel std in 0-255 units.
        channel_order (str): ``'rgb'`` or ``'bgr'``. Defaults to 'rgb'.
        trim_text_padding (bool): Drop all-padding columns. Defaults to True.
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 channel_order: str = 'rgb',
                 trim_text_padding: bool = True) -> None:
        super().__init__()
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(
                f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        if len(mean) != 3 or len(std) != 3:
            raise ValueError('mean and std need 3 values each, got '
                             f'{list(mean)} and {list(std)}')
        self.flip_channels = channel_order == 'bgr'
        self.trim_text_padding = trim_text_padding
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, 3, 1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, 3, 1, 1, 1), persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Batch one collated ``dict(inputs=..., data_samples=...)``.

        Args:
            data (dict): Output of ``pseudo_collate``: ``inputs`` is a dict
                of lists (``imgs``, and optionally ``text_ids`` and
                ``text_mask``), ``data_samples`` a list.
            training (bool): Unused; the same processing applies.

        Returns:
            dict: ``inputs`` (the tensors above) and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        batched = {}
        if 'imgs' in inputs:
            batched['imgs'] = self._normalize(inputs['imgs'])
        if 'text_ids' in inputs:
            batched.update(
                self._batch_texts(inputs['text_ids'], inputs['text_mask']))
        return dict(inputs=batched, data_samples=data.get('data_samples'))

    def _normalize(self, clips: List[torch.Tensor]) -> torch.Tensor:
        imgs = torch.stack(clips) if isinstance(clips, (list, tuple)) else clips
        if imgs.dim() != 5:
            raise ValueError('expected clips of shape (C, T, H, W); got a '
                             f'batch of shape {tuple(imgs.shape)}')
        imgs = imgs.float()
        if self.flip_channels:
            imgs = imgs.flip(1)
        return (imgs - self.mean) / self.std

    def _batch_texts(self, ids: List[torch.Tensor],
                     masks: List[torch.Tensor]) -> dict:
        counts = [t.shape[0] for t in ids]
        text_ids, text_mask = torch.cat(list(ids)), torch.cat(list(masks))
        if self.trim_text_padding and text_mask.numel():
            length = int(text_mask.sum(dim=1).max().item())
            text_ids, text_mask = text_ids[:, :length], text_mask[:, :length]
        text_to_video = torch.repeat_interleave(
            torch.arange(len(counts), device=text_ids.device),
            torch.tensor(counts, device=text_ids.device))
        return dict(
            text_ids=text_ids, text_mask=text_mask, text_to_video=text_to_video)
