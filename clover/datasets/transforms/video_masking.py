"""Block-wise masks for the masked video sample."""
import math
from typing import Dict, Optional, Sequence, Union

import numpy as np

from clover.registry import TRANSFORMS
from .base import BaseTransform


@TRANSFORMS.register_module()
class BlockMaskGenerator(BaseTransform):
    """Draw a BEiT-style block-wise mask on the backbone's spatial token grid.

    Rectangular blocks are added one at a time until ``num_masking_patches``
    cells are masked or no new block fits. Each block has a random area in
    ``[min_num_patches, remaining budget]`` (capped by ``max_num_patches``)
    and a log-uniform random aspect ratio (height / width) in
    ``aspect_ratio``; its sides are rounded to whole cells, it must be
    strictly smaller than the grid in both directions, and it is kept only
    if it masks at least one new cell without exceeding the budget.
    ``max_attempts`` failed draws in a row end the mask. So at most
    ``num_masking_patches`` cells are set, usually exactly that many.

    One mask serves all frames (a tube mask): the video backbone broadcasts
    it over time, ``SwinTransformer3D.forward(x, mask)`` taking ``(B, h, w)``.
    Clover masks 10 of the 7 x 7 cells of a 224 x 224 input (each cell is
    32 x 32 pixels).

    The draws use NumPy's global RNG, like the other random transforms;
    :class:`~clover.datasets.VideoTextBaseDataset` seeds it per sample from
    (seed, epoch, index) under a :class:`~clover.datasets.ResumableSampler`,
    so a sample's mask survives a resume and does not depend on the workers.

    Added keys:

    - ``video_mask`` (np.ndarray): ``window_size`` bool, True where masked.

    Args:
        window_size (int or tuple[int, int]): Grid ``(h, w)``; an int means
            a square grid. Defaults to 7.
        num_masking_patches (int): Most cells to mask. Defaults to 10.
        min_num_patches (int): Smallest block area drawn. Defaults to 4.
        max_num_patches (int, optional): Largest block area drawn; None
            means ``num_masking_patches``. Defaults to None.
        aspect_ratio (tuple[float, float]): Range of a block's height /
            width. Defaults to (0.3, 1 / 0.3).
        max_attempts (int): Failed draws in a row after which no further
            block is tried. Defaults to 10.
    """

    def __init__(self,
                 window_size: Union[int, Sequence[int]] = 7,
                 num_masking_patches: int = 10,
                 min_num_patches: int = 4,
                 max_num_patches: Optional[int] = None,
                 aspect_ratio: Sequence[float] = (0.3, 1 / 0.3),
                 max_attempts: int = 10) -> None:
        if isinstance(window_size, int):
            window_size = (window_size, window_size)
        window_size = tuple(window_size)
        if len(window_size) != 2 or min(window_size) < 1:
            raise ValueError('BlockMaskGenerator: window_size must be a '
                             'positive int or (h, w), got '
                             f'{window_size!r}')
        if not 0 <= num_masking_patches <= window_size[0] * window_size[1]:
            raise ValueError(
                'BlockMaskGenerator: num_masking_patches must be in [0, '
                f'{window_size[0] * window_size[1]}], got '
                f'{num_masking_patches!r}')
        if min_num_patches < 1:
            raise ValueError('BlockMaskGenerator: min_num_patches must be '
                             f'>= 1, got {min_num_patches!r}')
        if len(aspect_ratio) != 2 or not 0 < aspect_ratio[0] <= \
                aspect_ratio[1]:
            raise ValueError('BlockMaskGenerator: aspect_ratio must be '
                             '(low, high) with 0 < low <= high, got '
                             f'{aspect_ratio!r}')
        self.window_size = window_size
        self.num_masking_patches = num_masking_patches
        self.min_num_patches = min_num_patches
        self.max_num_patches = num_masking_patches \
            if max_num_patches is None else max_num_patches
        self.aspect_ratio = tuple(aspect_ratio)
        self.max_attempts = max_attempts

    def add_block(self, mask: np.ndarray, budget: int) -> int:
        """Try to mask one more block.

        Args:
            mask (np.ndarray): ``window_size`` bool mask, updated in place.
            budget (int): Most new cells the block may mask.

        Returns:
            int: The number of newly masked cells, 0 if ``max_attempts``
            draws all failed.
        """
        height, width = self.window_size
        log_low, log_high = (math.log(r) for r in self.aspect_ratio)
        for _ in range(self.max_attempts):
            # Below the minimum area, the budget bounds the range instead
            # (BEiT's reversed uniform range).
            area = np.random.uniform(*sorted((self.min_num_patches, budget)))
            ratio = math.exp(np.random.uniform(log_low, log_high))
            block_h = int(round(math.sqrt(area * ratio)))
            block_w = int(round(math.sqrt(area / ratio)))
            if block_h >= height or block_w >= width:
                continue
            top = np.random.randint(0, height - block_h + 1)
            left = np.random.randint(0, width - block_w + 1)
            block = mask[top:top + block_h, left:left + block_w]
            new_cells = int(block.size - block.sum())
            if 0 < new_cells <= budget:
                block[...] = True
                return new_cells
        return 0

    def transform(self, results: Dict) -> Dict:
        """Add ``results['video_mask']``.

        Args:
            results (dict): Any results; nothing is read.

        Returns:
            dict: ``results`` with ``video_mask``.
        """
        mask = np.zeros(self.window_size, dtype=bool)
        count = 0
        while count < self.num_masking_patches:
            budget = min(self.num_masking_patches - count,
                         self.max_num_patches)
            added = self.add_block(mask, budget)
            if added == 0:
                break
            count += added
        results['video_mask'] = mask
        return results
