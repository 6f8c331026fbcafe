"""LoadImageAsClip: images written here with known pixels come back as
1-frame RGB clips that the video transforms accept."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from clover.datasets.transforms.formatting import PackVideoTextInputs
from clover.datasets.transforms.image_loading import LoadImageAsClip
from clover.datasets.transforms.processing import Resize
from clover.datasets.video_io import VideoDecodeError


def rgb_pattern(height=6, width=10):
    """An RGB image whose three channels all differ, so a channel swap or a
    transpose shows."""
    rows, cols = np.mgrid[:height, :width]
    return np.stack([rows * 40, cols * 25, np.full_like(rows, 200)],
                    axis=-1).astype(np.uint8)


def write_rgb(path, rgb):
    # OpenCV writes BGR: the file then holds the intended RGB colours.
    assert cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))
    return path


def test_png_loads_exact_rgb_pixels(tmp_path):
    rgb = rgb_pattern()
    results = LoadImageAsClip()(
        dict(video_path=write_rgb(str(tmp_path / 'a.png'), rgb)))
    assert results['imgs'].dtype == np.uint8
    assert results['imgs'].shape == (1, 6, 10, 3)
    np.testing.assert_array_equal(results['imgs'][0], rgb)
    assert results['img_shape'] == (6, 10)
    assert results['original_shape'] == (6, 10)
    assert results['total_frames'] == 1
    assert results['num_frames'] == 1
    assert results['num_views'] == 1
    assert list(results['frame_inds']) == [0]


def test_jpeg_loads_close_rgb_pixels(tmp_path):
    # Flat colour blocks survive JPEG almost exactly; a BGR/RGB swap would
    # move the red block's 220 into the blue channel.
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[:, :8] = (220, 30, 30)
    rgb[:, 8:] = (30, 30, 220)
    path = str(tmp_path / 'b.jpg')
    assert cv2.imwrite(path, rgb[..., ::-1].copy(),
                       [cv2.IMWRITE_JPEG_QUALITY, 100])
    imgs = LoadImageAsClip()(dict(video_path=path))['imgs']
    assert imgs.shape == (1, 16, 16, 3)
    error = np.abs(imgs[0].astype(int) - rgb.astype(int))
    # Away from the block edge (chroma subsampling blurs it).
    assert error[:, 2:6].max() <= 8 and error[:, 10:14].max() <= 8


def test_greyscale_image_becomes_three_equal_channels(tmp_path):
    grey = (np.arange(20, dtype=np.uint8) * 12).reshape(4, 5)
    path = str(tmp_path / 'g.png')
    assert cv2.imwrite(path, grey)
    imgs = LoadImageAsClip()(dict(video_path=path))['imgs']
    assert imgs.shape == (1, 4, 5, 3)
    for channel in range(3):
        np.testing.assert_array_equal(imgs[0, ..., channel], grey)


def test_resize_and_pack_give_one_frame_clip(tmp_path):
    rgb = rgb_pattern(6, 10)
    results = LoadImageAsClip()(
        dict(video_path=write_rgb(str(tmp_path / 'a.png'), rgb)))
    results = Resize(scale=(5, 3), keep_ratio=False,
                     interpolation='nearest')(results)
    packed = PackVideoTextInputs()(results)
    imgs = packed['inputs']['imgs']
    assert imgs.shape == (3, 1, 3, 5)
    expected = cv2.resize(rgb, (5, 3), interpolation=cv2.INTER_NEAREST)
    torch.testing.assert_close(imgs[:, 0],
                               torch.from_numpy(expected).permute(2, 0, 1))
    assert packed['data_samples'].video_path == results['video_path']


def test_missing_file_names_the_file(tmp_path):
    path = str(tmp_path / 'absent.jpg')
    with pytest.raises(VideoDecodeError, match='absent.jpg') as info:
        LoadImageAsClip()(dict(video_path=path))
    assert info.value.path == path
    assert 'does not exist' in info.value.reason


def test_corrupt_file_names_the_file(tmp_path):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(b'\xff\xd8\xff\xe0 this is not really a jpeg')
    with pytest.raises(VideoDecodeError, match='broken.jpg') as info:
        LoadImageAsClip()(dict(video_path=str(path)))
    assert 'cannot decode' in info.value.reason
    assert osp.basename(info.value.path) == 'broken.jpg'


def test_png_reads_in_a_fresh_process_that_imported_clover_datasets(tmp_path):
    """decord's bundled zlib breaks OpenCV's PNG decoding when decord is
    imported before cv2; importing Clover's datasets must not do that."""
    import subprocess
    import sys
    path = tmp_path / 'still.png'
    script = (
        'import clover.datasets\n'
        'import cv2, numpy as np\n'
        'from clover.datasets.transforms import LoadImageAsClip\n'
        f'path = {str(path)!r}\n'
        'assert cv2.imwrite(path, np.full((6, 5, 3), 7, np.uint8))\n'
        'imgs = LoadImageAsClip()(dict(video_path=path))["imgs"]\n'
        'assert imgs.shape == (1, 6, 5, 3) and (imgs == 7).all()\n')
    subprocess.run([sys.executable, '-c', script], check=True)
