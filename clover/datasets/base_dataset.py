"""The base of Clover's datasets: reading the annotation schema, skipping
bad videos in training and seeding each sample's random transforms.

Schema (``docs/data_preparation.md``), one JSON file per split::

    {"metainfo": {"dataset_name": "msrvtt", "task": "retrieval",
                  "split": "test", "schema_version": 1},
     "data_list": [{"video_id": "video7010", "video": "video7010.mp4", ...},
                   ...]}

Each task's dataset names its required record fields and checks its own
ones; the file's top level, the shared fields, the ids and the bad-video
handling are here.
"""
import inspect
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.fileio import join_path
from mmengine.logging import MMLogger

from clover.registry import TRANSFORMS
from clover.utils.seeding import (SAMPLE_STREAM, derive_seed,
                                  global_generators_seeded)
from .samplers import SampleIndex
from .video_io import VideoDecodeError

SCHEMA_VERSION = 1
_BASE_DATASET_ARGS = frozenset(
    inspect.signature(BaseDataset.__init__).parameters) - {'self'}


class AnnotationError(ValueError):
    """An annotation file breaks the schema; the message says where."""


def load_annotation_file(path: str) -> dict:
    """Read an annotation file and check its top level.

    Args:
        path (str): A ``.json`` file in the schema of
            docs/data_preparation.md.

    Returns:
        dict: The parsed file, with a ``data_list`` list.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        AnnotationError: If it is not a ``.json`` file, not valid JSON, or
            not an object with a ``data_list`` list.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file {path!r} does not exist')
    if not path.endswith('.json'):
        raise AnnotationError(
            f'{path}: unknown annotation format; expected a .json file in '
            'the schema of docs/data_preparation.md')
    with open(path, encoding='utf-8') as file:
        try:
            annotations = json.load(file)
        except json.JSONDecodeError as error:
            raise AnnotationError(
                f'{path}: not valid JSON ({error})') from None
    if not isinstance(annotations, dict) or not isinstance(
            annotations.get('data_list'), list):
        raise AnnotationError(
            f"{path}: expected an object with a 'data_list' list (and a "
            "'metainfo' object)")
    return annotations


class VideoTextBaseDataset(BaseDataset):
    """Records of Clover's annotation schema, one video each, through a
    pipeline.

    Each item given to the pipeline is the record (every field unchanged)
    plus ``video_path`` (``data_prefix['video']`` joined with the record's
    ``video``) and ``video_index`` (the record's position in the file).
    Subclasses set the class attributes below and check their own fields in
    :meth:`_check_fields`.

    Random transforms. Indexed with a :class:`~clover.datasets.SampleIndex`
    (what :class:`~clover.datasets.ResumableSampler` yields), the pipeline
    runs with Python's, NumPy's and torch's generators seeded from the
    sampler's seed, its epoch and the index, so a sample's augmentation is
    the same whatever the number of workers, and after a resume. A plain
    ``int`` index draws from the generators as they are.

    Bad videos. A pipeline step that raises :class:`VideoDecodeError`
    (missing file, undecodable file) fails the fetch in test mode, because a
    missing gallery video would silently change the metric. In training the
    video is skipped through MMEngine's refetch (``prepare_data`` gives None
    and a random other item is fetched, at most ``max_refetch`` times): the
    skip is logged and counted in ``num_skipped``; once at least
    ``min_fetches_for_cap`` fetches were made, a skipped share above
    ``max_bad_fraction`` raises. Counts are per process (each data-loader
    worker keeps its own).

    Args:
        ann_file (str): Annotation JSON file.
        data_prefix (dict): ``video``: directory the records' ``video``
            paths are relative to. Defaults to ``dict(video='')``.
        pipeline (Sequence[dict | Callable]): Transforms, built from the
            ``TRANSFORMS`` registry. Defaults to ``()``.
        test_mode (bool): Evaluation dataset (never skips a video). Defaults
            to False.
        max_bad_fraction (float): Largest share of training fetches that may
            be skipped as bad videos; 0 never skips. Defaults to 0.01.
        min_fetches_for_cap (int): Fetches before ``max_bad_fraction`` is
            enforced, so one early bad file does not abort training.
            Defaults to 100.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``data_root``, ``metainfo``, ``indices``, ``lazy_init``,
            ``max_refetch``...).
    """

    # Record fields and their types.
    required_fields: Dict[str, type] = {'video_id': str, 'video': str}
    # Unique within a file.
    id_field = 'video_id'
    # Set by the dataset on each item.
    reserved_fields = ('video_path', 'video_index')
    # Fields that must hold visible text.
    non_empty_fields = ('video_id', 'video')
    # The ``metainfo.task`` the file must declare; None reads any.
    task: Optional[str] = None

    def __init__(self,
                 ann_file: str,
                 data_prefix: Dict[str, str] = dict(video=''),
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 max_bad_fraction: float = 0.01,
                 min_fetches_for_cap: int = 100,
                 **kwargs) -> None:
        unknown = sorted(set(kwargs) - _BASE_DATASET_ARGS)
        if unknown:
            raise TypeError(
                f"{', '.join(unknown)} does not apply to "
                f'{type(self).__name__}: it takes the arguments of its '
                'docstring and those of mmengine.dataset.BaseDataset')
        if not 0 <= max_bad_fraction < 1:
            # With 1, a dataset of only bad videos would be retried forever.
            raise ValueError(
                f'max_bad_fraction must be in [0, 1), got {max_bad_fraction}')
        self.max_bad_fraction = max_bad_fraction
        self.min_fetches_for_cap = min_fetches_for_cap
        self.num_skipped = 0
        self.num_fetched = 0
        # Built here with Clover's registry, so the dataset works without a
        # default scope.
        pipeline = [
            TRANSFORMS.build(step) if isinstance(step, dict) else step
            for step in pipeline
        ]
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read and validate the annotation file.

        Returns:
            list[dict]: One item per record, in file order.

        Raises:
            FileNotFoundError: If the file does not exist.
            AnnotationError: (a ``ValueError``) if the file is not JSON or
                breaks the schema; the message names the file, the record
                index and id, and the field.
        """
        return [
            self._item(record, index)
            for index, record in enumerate(self._validated_records())
        ]

    def _validated_records(self) -> List[dict]:
        """Read the file, check every record and that no two share their
        ``id_field``."""
        records = self._read_records()
        first_index_of_id = {}
        for index, record in enumerate(records):
            self._check_record(record, index)
            record_id = record[self.id_field]
            if record_id in first_index_of_id:
                raise AnnotationError(
                    f'{self.ann_file}: records {first_index_of_id[record_id]} '
                    f'and {index} share {self.id_field} {record_id!r}')
            first_index_of_id[record_id] = index
        return records

    def _item(self, record: dict, index: int) -> dict:
        """The pipeline input of a record: its fields plus ``video_path``
        and ``video_index``."""
        return dict(
            record,
            video_path=join_path(self.data_prefix.get('video', ''),
                                 record['video']),
            video_index=index)

    def _read_records(self) -> List:
        """Load the file, check its top level (and task) and merge its
        metainfo."""
        annotations = load_annotation_file(self.ann_file)
        metainfo = annotations.get('metainfo', {})
        if not isinstance(metainfo, dict):
            raise AnnotationError(
                f"{self.ann_file}: field 'metainfo' must be an object, got "
                f'{type(metainfo).__name__}')
        version = metainfo.get('schema_version', SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise AnnotationError(
                f"{self.ann_file}: field 'metainfo.schema_version' is "
                f'{version!r}; this code reads version {SCHEMA_VERSION}')
        for key, value in metainfo.items():
            self._metainfo.setdefault(key, value)
        if self.task is not None and self._metainfo.get('task') != self.task:
            raise AnnotationError(
                f"{self.ann_file}: field 'metainfo.task' is "
                f"{self._metainfo.get('task')!r}; {type(self).__name__} "
                f"reads '{self.task}' files")
        if not annotations['data_list']:
            raise AnnotationError(f"{self.ann_file}: 'data_list' is empty")
        return annotations['data_list']

    def _check_record(self, record, index: int) -> None:
        """Raise if one record breaks the schema."""
        where = f'{self.ann_file}: record {index}'
        if not isinstance(record, dict):
            raise AnnotationError(
                f'{where} must be an object, got {type(record).__name__}')
        if isinstance(record.get(self.id_field), str):
            where += f' ({self.id_field} {record[self.id_field]!r})'
        for field, field_type in self.required_fields.items():
            if field not in record:
                raise AnnotationError(f"{where} has no field '{field}'")
            # bool is an int subclass, but never a valid index.
            if (not isinstance(record[field], field_type)
                    or isinstance(record[field], bool)):
                raise AnnotationError(f"{where}: field '{field}' must be "
                                      f'{field_type.__name__}, got '
                                      f'{type(record[field]).__name__}')
        for field in self.reserved_fields:
            if field in record:
                raise AnnotationError(
                    f"{where}: field '{field}' is reserved (the dataset sets "
                    'it); rename it')
        for field in self.non_empty_fields:
            if not record[field].strip():
                raise AnnotationError(f"{where}: field '{field}' is empty")
        self._check_fields(record, where)

    def _check_fields(self, record: dict, where: str) -> None:
        """Check the task's own fields; ``where`` starts the error
        message."""

    def __getitem__(self, idx: int) -> dict:
        """Fetch item ``idx`` through the pipeline; a
        :class:`~clover.datasets.SampleIndex` seeds its random transforms
        (see the class docstring)."""
        if not isinstance(idx, SampleIndex):
            return super().__getitem__(idx)
        seed = derive_seed(SAMPLE_STREAM, idx.seed, idx.epoch, idx)
        with global_generators_seeded(seed):
            # A refetch after a bad video draws its index and its
            # augmentation from the same seeded generators.
            return super().__getitem__(int(idx))

    def prepare_data(self, idx: int) -> Optional[dict]:
        """The pipeline's output for item ``idx``, or None for a bad video
        that training skips (MMEngine then fetches another item)."""
        if self.test_mode or self.max_bad_fraction == 0:
            return super().prepare_data(idx)
        self.num_fetched += 1
        try:
            return super().prepare_data(idx)
        except VideoDecodeError as error:
            self._skip(error)
            return None

    def _skip(self, error: VideoDecodeError) -> None:
        """Count and log a skipped video; raise past the cap."""
        self.num_skipped += 1
        MMLogger.get_current_instance().warning(
            f'Skipping bad video {error.path!r}: {error.reason} '
            f'({self.num_skipped} skipped of {self.num_fetched} fetched)')
        share = self.num_skipped / self.num_fetched
        if (self.num_fetched >= self.min_fetches_for_cap
                and share > self.max_bad_fraction):
            raise RuntimeError(
                f'{self.num_skipped} of {self.num_fetched} fetched videos '
                f'({share:.1%}) from {self.ann_file} could not be decoded, '
                f'more than max_bad_fraction={self.max_bad_fraction}; last: '
                f'{error}. Check the videos under '
                f"{self.data_prefix.get('video', '')!r}") from error
