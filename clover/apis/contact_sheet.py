"""Contact sheets of retrieval results: the query, then one row of evenly
sampled frames per hit with its rank and score."""
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np

from clover.datasets.video_io import open_video


def sample_frames(path: str, num_frames: int) -> np.ndarray:
    """``num_frames`` evenly spaced frames (segment midpoints) of a video.

    Returns:
        np.ndarray: uint8 ``(num_frames, H, W, 3)`` RGB.
    """
    reader = open_video(path)
    try:
        total = reader.num_frames
        indices = ((np.arange(num_frames) + 0.5) * total / num_frames)
        return reader.read_frames(indices.astype(np.int64).clip(0, total - 1))
    finally:
        reader.close()


def draw_contact_sheet(result: Dict,
                       out_file: Optional[str] = None,
                       num_frames: int = 4,
                       target: Optional[str] = None):
    """Draw one query's hits, one row of frames per hit.

    Args:
        result (dict): A result of
            :meth:`~clover.apis.TextVideoRetrievalInferencer.rank_videos`:
            ``text``, ``paths``, ``scores`` and ``ranks``.
        out_file (str, optional): PNG written when given.
        num_frames (int): Frames shown per hit. Defaults to 4.
        target (str, optional): The video that should be found; its row is
            framed in green, the others in grey.

    Returns:
        np.ndarray: The sheet as a uint8 ``(H, W, 3)`` RGB image.
    """
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    num_hits = len(result['paths'])
    fig, axes = plt.subplots(
        num_hits, num_frames, squeeze=False,
        figsize=(1.6 * num_frames + 2.4, 1.6 * num_hits + 0.8))
    fig.suptitle(f'query: "{result["text"]}"', fontsize=11, wrap=True)
    for row, (path, score, rank) in enumerate(
            zip(result['paths'], result['scores'], result['ranks'])):
        colour = 'tab:green' if path == target else '0.6'
        for col, frame in enumerate(sample_frames(path, num_frames)):
            axis = axes[row, col]
            axis.imshow(frame)
            axis.set_xticks([])
            axis.set_yticks([])
            for spine in axis.spines.values():
                spine.set_edgecolor(colour)
                spine.set_linewidth(3 if path == target else 1)
        axes[row, 0].set_ylabel(
            f'#{rank}  {score:.3f}\n{osp.basename(path)}',
            rotation=0, ha='right', va='center', fontsize=8)
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    if out_file is not None:
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        fig.savefig(out_file)
    plt.close(fig)
    return image
