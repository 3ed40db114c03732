"""Size limits per request and per alert, and the label/annotation readers that enforce them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.ingest.normalizers.errors import Problems, field_path

# Alertmanager 0.25's label name syntax (0.27+ accepts UTF-8 names; Tocsin follows 0.25).
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*", re.ASCII)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may carry; anything beyond is rejected with the field named."""

    max_alerts_per_request: int = 10_000
    max_labels_per_alert: int = 128
    max_label_name_length: int = 256
    max_label_value_length: int = 8192
    max_annotations_per_alert: int = 256
    max_annotation_value_length: int = 65536


def read_labels(value: Any, path: str, limits: Limits, problems: Problems) -> dict[str, str]:
    """A label set: valid names, string values; empty values are dropped like Alertmanager does."""
    raw = problems.object(value, path)
    if raw is None:
        return {}
    labels: dict[str, str] = {}
    max_name, max_value = limits.max_label_name_length, limits.max_label_value_length
    for name, label_value in raw.items():
        # The happy path first, in one test: paths and messages only for what is wrong.
        if (
            isinstance(label_value, str)
            and len(name) <= max_name
            and len(label_value) <= max_value
            and LABEL_NAME.fullmatch(name)
        ):
            if label_value:
                labels[name] = label_value
            continue
        field = field_path(path, name)
        if not isinstance(label_value, str):
            problems.add(field, "must be a string")
        elif not LABEL_NAME.fullmatch(name):
            problems.add(field, "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        elif len(name) > max_name:
            problems.add(field, f"label name must be at most {max_name} characters")
        else:
            check_label_value(label_value, field, limits, problems)
    if len(labels) > limits.max_labels_per_alert:
        problems.add(path, f"must have at most {limits.max_labels_per_alert} labels")
    return labels


def read_annotations(value: Any, path: str, limits: Limits, problems: Problems) -> dict[str, str]:
    """Annotations: string values of bounded length; absent or null means none."""
    if value is None:
        return {}
    raw = problems.object(value, path)
    if raw is None:
        return {}
    annotations: dict[str, str] = {}
    max_name, max_text = limits.max_label_name_length, limits.max_annotation_value_length
    for name, text in raw.items():
        if isinstance(text, str) and len(name) <= max_name and len(text) <= max_text:
            annotations[name] = text
        elif not isinstance(text, str):
            problems.add(field_path(path, name), "must be a string")
        else:
            check_annotation(name, text, field_path(path, name), limits, problems)
    check_annotation_count(annotations, path, limits, problems)
    return annotations


def read_string_map(value: Any, path: str, problems: Problems) -> dict[str, str]:
    """An optional object of strings with no further rules (e.g. a webhook's commonLabels)."""
    if value is None:
        return {}
    raw = problems.object(value, path)
    if raw is None:
        return {}
    result: dict[str, str] = {}
    for key, item in raw.items():
        if isinstance(item, str):
            result[key] = item
        else:
            problems.add(field_path(path, key), "must be a string")
    return result


def check_label_value(value: str, field: str, limits: Limits, problems: Problems) -> bool:
    """False (and an error) if `value` is too long to be a label value."""
    if len(value) > limits.max_label_value_length:
        problems.add(field, f"must be at most {limits.max_label_value_length} characters")
        return False
    return True


def check_annotation(name: str, text: str, field: str, limits: Limits, problems: Problems) -> bool:
    """False (and an error) if an annotation's name or value is too long."""
    if len(name) > limits.max_label_name_length:
        max_name = limits.max_label_name_length
        problems.add(field, f"annotation name must be at most {max_name} characters")
        return False
    if len(text) > limits.max_annotation_value_length:
        problems.add(field, f"must be at most {limits.max_annotation_value_length} characters")
        return False
    return True


def check_annotation_count(
    annotations: dict[str, str], path: str, limits: Limits, problems: Problems
) -> None:
    if len(annotations) > limits.max_annotations_per_alert:
        problems.add(path, f"must have at most {limits.max_annotations_per_alert} annotations")
