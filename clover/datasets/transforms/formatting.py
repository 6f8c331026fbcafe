"""Choose the texts of a sample and pack it for the model."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from clover.registry import TRANSFORMS
from clover.structures import VideoTextDataSample
from .base import BaseTransform


@TRANSFORMS.register_module()
class SampleCaptions(BaseTransform):
    """Choose the captions fed to the model.

    Draws ``num_captions`` captions at random from ``results['captions']``
    (without replacement when the video has enough, else with replacement),
    or keeps them all in their original order when ``num_captions`` is None,
    as testing needs.

    Required keys: ``captions`` (list[str]). Added keys: ``text`` (list[str]).

    Args:
        num_captions (int, optional): Captions per sample; None keeps all.
            Defaults to 1.
    """

    def __init__(self, num_captions: Optional[int] = 1) -> None:
        if num_captions is not None and num_captions < 1:
            raise ValueError(
                f'num_captions must be >= 1 or None, got {num_captions}')
        self.num_captions = num_captions

    def transform(self, results: Dict) -> Dict:
        captions = results['captions']
        if self.num_captions is None:
            results['text'] = list(captions)
            return results
        chosen = np.random.choice(
            len(captions),
            self.num_captions,
            replace=len(captions) < self.num_captions)
        results['text'] = [captions[index] for index in chosen]
        return results


@TRANSFORMS.register_module()
class PackVideoTextInputs(BaseTransform):
    """Pack a sample into model inputs and a :class:`VideoTextDataSample`.

    Output::

        dict(inputs=dict(imgs=uint8 tensor (C, T, H, W) or (V, C, T, H, W),
                         text_ids=int64 tensor (K, L),        # if tokenized
                         text_mask=int64 tensor (K, L),       # if tokenized
                         masked_text_ids=int64 tensor (K, L), # if masked
                         mlm_labels=int64 tensor (K, L),      # if masked
                         video_mask=bool tensor (h, w)),      # if masked
             data_samples=VideoTextDataSample(text=[...K str],  # if present
                                              video_id=..., ...))

    The frames stay ``uint8`` in RGB order; the data preprocessor casts and
    normalises them on the device.

    Multi-view clips. When ``results['num_views']`` is V > 1 (multi-clip
    testing), ``imgs`` holds the V clips one after the other, view-major:
    frames ``[v * T, (v + 1) * T)`` are view ``v``. They are packed to
    ``(V, C, T, H, W)``; one view (or no ``num_views``) packs to
    ``(C, T, H, W)``.

    Required keys: ``imgs`` (uint8 ``(V * T, H, W, 3)``). Optional keys:
    ``num_views`` (int, default 1), ``text_ids``, ``text_mask``,
    ``masked_text_ids``, ``mlm_labels`` (int ``(K, L)``, the last two from
    :class:`SemanticTextMasking`), ``video_mask`` (bool ``(h, w)``, from
    :class:`BlockMaskGenerator`), ``text`` (list[str]) and the
    ``meta_keys``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's
            metainfo when present in ``results``. Defaults to
            ``('video_id', 'video_path', 'video_index')``. Question
            answering adds the keys its models and metrics read:
            ``'question_id'``, ``'answer'``, ``'answer_label'`` (open QA,
            fill-in-the-blank), ``'answer_index'`` (multiple choice) and
            ``'question_type'``.

    Ground truth: ``results['answer_label']`` (open QA, fill-in-the-blank)
    or ``results['answer_index']`` (multiple choice) becomes the data field
    ``gt_label``, whatever ``meta_keys`` lists; the heads and metrics read
    that field only.
    """

    text_keys = ('text_ids', 'text_mask', 'masked_text_ids', 'mlm_labels')
    # Item fields that hold the ground-truth label, one per kind of task.
    label_keys = ('answer_label', 'answer_index')

    def __init__(
        self,
        meta_keys: Sequence[str] = ('video_id', 'video_path', 'video_index')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        inputs = dict(imgs=self._pack_imgs(results))
        for key in self.text_keys:
            if key in results:
                inputs[key] = torch.as_tensor(results[key], dtype=torch.long)
        if 'video_mask' in results:
            video_mask = torch.as_tensor(results['video_mask'],
                                         dtype=torch.bool)
            if video_mask.dim() != 2:
                raise ValueError(
                    'Expected video_mask of shape (h, w), got '
                    f'{tuple(video_mask.shape)} for '
                    f'{results.get("video_path", "<unknown video>")}')
            inputs['video_mask'] = video_mask

        data_sample = VideoTextDataSample(metainfo={
            key: results[key]
            for key in self.meta_keys if key in results
        })
        if 'text' in results:
            data_sample.text = results['text']
        labels = [key for key in self.label_keys if key in results]
        if len(labels) > 1:
            raise ValueError(
                f'{results.get("video_path", "<unknown video>")}: the item '
                f'has both {" and ".join(labels)}; a task has one kind of '
                'label.')
        if labels:
            data_sample.gt_label = results[labels[0]]
        return dict(inputs=inputs, data_samples=data_sample)

    @staticmethod
    def _pack_imgs(results: Dict) -> torch.Tensor:
        """``(V * T, H, W, 3)`` frames to ``(C, T, H, W)`` or, with
        ``num_views`` V > 1, ``(V, C, T, H, W)``."""
        imgs = results['imgs']
        video = results.get('video_path', '<unknown video>')
        if imgs.ndim != 4 or imgs.shape[-1] != 3:
            raise ValueError(
                f'Expected imgs of shape (T, H, W, 3), got {imgs.shape} for '
                f'{video}')
        num_views = results.get('num_views', 1)
        if num_views == 1:
            return torch.from_numpy(imgs).permute(3, 0, 1, 2).contiguous()
        if num_views < 1 or imgs.shape[0] % num_views:
            raise ValueError(
                f'{video}: {imgs.shape[0]} frames cannot be split into '
                f'num_views={num_views} clips of equal length')
        clips = torch.from_numpy(imgs).reshape(num_views, -1, *imgs.shape[1:])
        return clips.permute(0, 4, 1, 2, 3).contiguous()
