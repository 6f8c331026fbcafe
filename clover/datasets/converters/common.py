"""What every converter shares: reading the original files with errors that
name them, building answer vocabularies, and writing schema-v1 JSON."""
import csv
import json
import os
import os.path as osp
import tempfile
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence

SCHEMA_VERSION = 1
TASKS = ('retrieval', 'image_text', 'qa_open', 'multiple_choice',
         'fill_in_blank')


class ConversionError(ValueError):
    """An original annotation file is not in the expected format; the message
    names the file, the entry and the field."""


def require_file(path: str, what: str) -> str:
    """Return ``path`` if it is a file, else raise naming what it should be.

    Args:
        path (str): The file to check.
        what (str): What the file is, e.g.
            ``'MSR-VTT train_val_videodatainfo.json'``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path!r}')
    return path


def read_json(path: str, what: str) -> Any:
    """Load a JSON file, naming it in any error."""
    require_file(path, what)
    with open(path, encoding='utf-8') as file:
        try:
            return json.load(file)
        except json.JSONDecodeError as error:
            raise ConversionError(
                f'{path}: not valid JSON ({error})') from None


def read_jsonl(path: str, what: str) -> List[Any]:
    """Load a JSON-lines file (one object per non-blank line)."""
    require_file(path, what)
    rows = []
    with open(path, encoding='utf-8') as file:
        for line_number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ConversionError(
                    f'{path}: line {line_number} is not valid JSON '
                    f'({error})') from None
    return rows


def read_table(path: str,
               what: str,
               delimiter: str = ',',
               fieldnames: Optional[Sequence[str]] = None) -> List[Dict]:
    """Load a CSV/TSV file as dicts (header row unless ``fieldnames``).

    Rows whose number of columns differs from the header raise, naming the
    line, instead of shifting fields silently.
    """
    require_file(path, what)
    with open(path, encoding='utf-8', newline='') as file:
        reader = csv.DictReader(
            file, fieldnames=fieldnames, delimiter=delimiter)
        rows = []
        for row in reader:
            if None in row or None in row.values():
                problem = 'more' if None in row else 'fewer'
                raise ConversionError(
                    f'{path}: line {reader.line_num} has {problem} columns '
                    f'than the header ({", ".join(reader.fieldnames)})')
            rows.append(row)
    return rows


def get_field(entry: Dict, field: str, path: str, where: str) -> Any:
    """``entry[field]``, or a :class:`ConversionError` naming the file, the
    entry and the field."""
    if not isinstance(entry, dict) or field not in entry:
        raise ConversionError(f"{path}: {where} has no field '{field}'")
    return entry[field]


def top_answers(answers: Iterable[str], size: int) -> List[str]:
    """The ``size`` most frequent answers, most frequent first; ties broken
    by the answer string so the vocabulary is deterministic.

    Args:
        answers (Iterable[str]): Training answers, one per question.
        size (int): Vocabulary size (1500 for MSRVTT-QA, ...).
    """
    counts = Counter(answers)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [answer for answer, _ in ranked[:size]]


def write_annotations(path: str, metainfo: Dict, data_list: List[Dict],
                      task: str) -> None:
    """Write a schema-v1 annotation file atomically (a crash never leaves a
    half-written file behind).

    Args:
        path (str): Output ``.json`` path; parent directories are created.
        metainfo (dict): ``dataset_name``, ``split`` and any extra keys
            (``answer_vocab``, ``source``...); ``task`` and
            ``schema_version`` are set here.
        data_list (list[dict]): The records.
        task (str): One of :data:`TASKS`.
    """
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    if not data_list:
        raise ConversionError(f'No records to write to {path!r}')
    out_dir = osp.dirname(osp.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    content = dict(
        metainfo=dict(metainfo, task=task, schema_version=SCHEMA_VERSION),
        data_list=data_list)
    handle, tmp_path = tempfile.mkstemp(dir=out_dir, suffix='.json.tmp')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as file:
            json.dump(content, file, ensure_ascii=False)
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
