from .video_text_data_sample import VideoTextDataSample, sample_name

__all__ = ['VideoTextDataSample', 'sample_name']
