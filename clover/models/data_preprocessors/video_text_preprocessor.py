"""Device-side batching and normalisation of video clips and token ids."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from clover.registry import MODELS
from clover.structures import sample_name


@MODELS.register_module()
class VideoTextDataPreprocessor(BaseDataPreprocessor):
    """Stack, move to the device and normalise clips; batch the texts.

    The pipeline leaves each clip as a uint8 ``(C, T, H, W)`` tensor in RGB
    order and each sample's texts as ``(K, L)`` token ids and masks. This
    module, running on the model's device, produces:

    - ``imgs``: float ``(B, C, T, H, W)``, ``(x - mean) / std``; with
      ``channel_order='bgr'`` the channels are reversed first (the official
      Clover model consumes BGR, ``docs/method.md`` §1.1). Multi-view
      test clips, packed as ``(V, C, T, H, W)``, give ``(B, V, C, T, H, W)``
      normalised the same way; every sample of a batch must have the same
      number of views.
    - ``text_ids`` / ``text_mask``: ``(N, L)``, the texts of all samples in
      order, where ``N = sum(K_b)``. Columns that are padding for every text
      of the batch are dropped (exact for a masked encoder, and cheaper).
    - ``text_to_video``: ``(N,)`` index of each text's sample in the batch.
    - ``masked_text_ids`` / ``mlm_labels`` (when packed, for pre-training):
      ``(N, L)``, batched like ``text_ids`` and trimmed to the same length
      (the masked texts share the complete texts' padding).
    - ``video_mask`` (when packed): bool ``(B, h, w)`` tube masks.

    The texts are batched and checked on the host, before anything moves
    to the device, so the checks cost no device-to-host copy: every sample
    has at least one text and, with ``blank_token_id`` set (by
    :class:`~clover.models.multimodal.CloverVideoQA` reading answers at the
    ``[MASK]``), every text holds that token exactly once.

    Args:
        mean (Sequence[float]): Per-channel mean in 0-255 units, in the
            order the model consumes. Defaults to ImageNet's RGB mean.
        std (Sequence[float]): Per-channel std in 0-255 units.
        channel_order (str): ``'rgb'`` or ``'bgr'``. Defaults to 'rgb'.
        trim_text_padding (bool): Drop all-padding columns. Defaults to True.
        blank_token_id (int, optional): Token that every text must hold
            exactly once (fill-in-the-blank's ``[MASK]``). Defaults to None
            (no such check).
    """

    # Per-token fields aligned with text_ids, batched the same way.
    masked_text_keys = ('masked_text_ids', 'mlm_labels')

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 channel_order: str = 'rgb',
                 trim_text_padding: bool = True,
                 blank_token_id: Optional[int] = None) -> None:
        super().__init__()
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(
                f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        if len(mean) != 3 or len(std) != 3:
            raise ValueError('mean and std need 3 values each, got '
                             f'{list(mean)} and {list(std)}')
        self.flip_channels = channel_order == 'bgr'
        self.trim_text_padding = trim_text_padding
        self.blank_token_id = blank_token_id
        # Shaped (C, 1, 1, 1) to broadcast over the trailing (C, T, H, W) of
        # both (B, C, T, H, W) and (B, V, C, T, H, W).
        self.register_buffer(
            'mean', torch.tensor(mean).view(3, 1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(3, 1, 1, 1), persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Batch one collated ``dict(inputs=..., data_samples=...)``.

        Args:
            data (dict): Output of ``pseudo_collate``: ``inputs`` is a dict
                of lists (``imgs``, and optionally ``text_ids``,
                ``text_mask``, ``masked_text_ids``, ``mlm_labels`` and
                ``video_mask``), ``data_samples`` a list.
            training (bool): Unused; the same processing applies.

        Returns:
            dict: ``inputs`` (the tensors above) and ``data_samples``.
        """
        inputs = data['inputs']
        data_samples = data.get('data_samples')
        batched = {}
        if 'text_ids' in inputs:
            batched.update(self._batch_texts(inputs, data_samples))
        if 'video_mask' in inputs:
            batched['video_mask'] = self._stack_video_masks(
                inputs['video_mask'])
        batched = self.cast_data(batched)
        if 'imgs' in inputs:
            batched['imgs'] = self._normalize(self.cast_data(inputs['imgs']))
        return dict(inputs=batched, data_samples=self.cast_data(data_samples))

    def _normalize(self, clips: List[torch.Tensor]) -> torch.Tensor:
        """Stack uint8 ``(C, T, H, W)`` or ``(V, C, T, H, W)`` clips and
        normalise them over C."""
        if isinstance(clips, (list, tuple)):
            shapes = {tuple(clip.shape) for clip in clips}
            if len(shapes) > 1:
                views = sorted({
                    shape[0] if len(shape) == 5 else 1
                    for shape in shapes
                })
                detail = (f'mixed view counts {views}' if len(views) > 1 else
                          'clips of different sizes')
                raise ValueError(
                    f'cannot batch {detail}: shapes {sorted(shapes)}; every '
                    'sample of a batch needs the same (V, C, T, H, W)')
            imgs = torch.stack(list(clips))
        else:
            imgs = clips
        if imgs.dim() not in (5, 6) or imgs.shape[-4] != 3:
            raise ValueError(
                'expected clips of shape (C, T, H, W) or (V, C, T, H, W) with '
                f'C = 3; got a batch of shape {tuple(imgs.shape)}')
        imgs = imgs.float()
        if self.flip_channels:
            imgs = imgs.flip(-4)
        # In the dtype the model is held in: fp32 normally (autocast casts
        # inside the ops), half where a strategy casts the whole model
        # (DeepSpeed's fp16 / bf16), buffers included.
        return ((imgs - self.mean) / self.std).to(self.mean.dtype)

    def _batch_texts(self, inputs: dict, data_samples: Optional[list]
                     ) -> dict:
        """Concatenate the ``(K_b, L)`` texts of every sample, and the
        masked texts and MLM labels aligned with them (where they are:
        the pipeline's host tensors)."""
        keys = ['text_ids', 'text_mask'] + [
            key for key in self.masked_text_keys if key in inputs
        ]
        counts = [t.shape[0] for t in inputs['text_ids']]
        for index, count in enumerate(counts):
            if count == 0:
                raise ValueError(
                    f'{sample_name(data_samples, index)} has no text while '
                    'the others of its batch have; every sample needs its '
                    'texts.')
        batched = {key: torch.cat(list(inputs[key])) for key in keys}
        for key in keys:
            if batched[key].shape != batched['text_ids'].shape:
                raise ValueError(
                    f'{key} must have the shape of text_ids '
                    f'{tuple(batched["text_ids"].shape)} after batching, got '
                    f'{tuple(batched[key].shape)}')
        if self.blank_token_id is not None:
            self._check_blanks(batched, counts, data_samples)
        text_mask = batched['text_mask']
        if self.trim_text_padding and text_mask.numel():
            length = int(text_mask.sum(dim=1).max())
            batched = {key: ids[:, :length] for key, ids in batched.items()}
        batched['text_to_video'] = torch.repeat_interleave(
            torch.arange(len(counts), device=text_mask.device),
            torch.tensor(counts, device=text_mask.device))
        return batched

    def _check_blanks(self, batched: dict, counts: List[int],
                      data_samples: Optional[list]) -> None:
        """Every text must hold ``blank_token_id`` exactly once."""
        is_blank = (batched['text_ids'] == self.blank_token_id) & \
            batched['text_mask'].bool()
        per_sample = is_blank.sum(dim=1).split(counts)
        for index, blanks in enumerate(per_sample):
            if (blanks != 1).any():
                raise ValueError(
                    f'{sample_name(data_samples, index)} has a text with '
                    f'{[int(b) for b in blanks]} tokens of id '
                    f'{self.blank_token_id} ([MASK]); fill-in-the-blank '
                    'needs exactly one per text.')

    @staticmethod
    def _stack_video_masks(masks: List[torch.Tensor]) -> torch.Tensor:
        video_mask = torch.stack(list(masks)) \
            if isinstance(masks, (list, tuple)) else masks
        if video_mask.dim() != 3:
            raise ValueError('expected video masks of shape (h, w); got a '
                             f'batch of shape {tuple(video_mask.shape)}')
        return video_mask.bool()
