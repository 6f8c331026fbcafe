"""Load a still image as a one-frame clip, so that image-text data (CC3M)
runs through the video pipeline unchanged."""
import os.path as osp
from typing import Dict

import cv2
import numpy as np

from clover.registry import TRANSFORMS
from ..video_io import VideoDecodeError
from .base import BaseTransform


@TRANSFORMS.register_module()
class LoadImageAsClip(BaseTransform):
    """Read ``results['video_path']`` as an image and make it a 1-frame clip.

    The path key is the video pipeline's, so an image-text annotation file
    in the video schema (records with ``video`` paths to images) works with
    :class:`~clover.datasets.VideoTextRetrievalDataset` as is. Every later
    transform (:class:`Resize`, :class:`RandomResizedCrop`, :class:`Flip`,
    :class:`PackVideoTextInputs`) sees a clip of ``T = 1`` frame, which packs
    to ``(3, 1, H, W)``. Greyscale and alpha images are converted to 3
    channels; OpenCV applies the EXIF orientation.

    Added keys: ``imgs`` (uint8 ``(1, H, W, 3)`` RGB), ``img_shape`` and
    ``original_shape`` (``(H, W)``), ``total_frames`` (1), ``frame_inds``
    (int64 ``[0]``), ``num_frames`` (1) and ``num_views`` (1).

    Raises:
        VideoDecodeError: If the file is missing or OpenCV cannot decode it.
            The dataset treats it like an undecodable video (skipped in
            training within its bad-file budget, fatal in test mode).
    """

    def transform(self, results: Dict) -> Dict:
        path = results['video_path']
        if not osp.isfile(path):
            raise VideoDecodeError(path, 'the image file does not exist')
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise VideoDecodeError(path, 'OpenCV cannot decode it as an image')
        imgs = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)[None]
        results['imgs'] = imgs
        results['img_shape'] = imgs.shape[1:3]
        results['original_shape'] = imgs.shape[1:3]
        results['total_frames'] = 1
        results['frame_inds'] = np.zeros(1, dtype=np.int64)
        results['num_frames'] = 1
        results['num_views'] = 1
        return results
