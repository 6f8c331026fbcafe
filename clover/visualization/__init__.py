from .retrieval_sheet import (SheetRow, clip_frame_indices,
                              draw_retrieval_sheet, read_clip_frames)

__all__ = [
    'SheetRow', 'clip_frame_indices', 'draw_retrieval_sheet',
    'read_clip_frames'
]
