"""The gisaudit error tree: every error an auditor can see, with a message they can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class GisAuditError(Exception):
    """Root of all gisaudit errors; ``str(err)`` is a Chinese message safe to show an auditor."""

    code: ClassVar[str] = "gisaudit_error"


class InputError(GisAuditError, ValueError):
    """Bad user data or parameters."""

    code = "invalid_input"


@dataclass(frozen=True)
class Problem:
    """One problem found in a data package.

    ``file`` is relative to the package folder; ``layer`` and ``feature`` may be empty.
    ``message`` says what is wrong and ``action`` what to do, both in Chinese.
    """

    file: str
    message: str
    action: str
    layer: str = ""
    feature: str = ""

    def __str__(self) -> str:
        where = [f"文件 {self.file}" if self.file else "数据包"]
        if self.layer:
            where.append(f"图层 {self.layer}")
        if self.feature:
            where.append(f"要素 {self.feature}")
        return f"{'，'.join(where)}：{self.message} 处理办法：{self.action}"


class PackageError(InputError):
    """A data package failed validation; ``problems`` lists every problem found."""

    code = "invalid_package"

    def __init__(self, problems: list[Problem], root: str = "") -> None:
        self.problems = list(problems)
        self.root = root
        lines = [f"数据包校验未通过，共 {len(self.problems)} 个问题："]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        super().__init__("\n".join(lines))


class LayerReadError(InputError):
    """A single layer could not be read; carries one Problem."""

    code = "layer_unreadable"

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class ConfigError(InputError):
    """A YAML configuration (indicator system, lead rules, knowledge base) is wrong."""

    code = "invalid_config"


class UnknownClassCodeError(InputError):
    """A land-class code is not in the 三调 working classification."""

    code = "unknown_class_code"


class NotFoundError(GisAuditError, LookupError):
    """Something asked for does not exist."""

    code = "not_found"


class AnalysisError(GisAuditError):
    """The analysis could not be carried out on otherwise valid input."""

    code = "analysis_failed"


class StorageError(GisAuditError):
    """The database could not be read or written."""

    code = "storage_error"


class WorkflowError(GisAuditError):
    """A lead state change the workflow does not allow (or lacks its reason or deadline)."""

    code = "workflow_refused"


class StaleUpdateError(GisAuditError):
    """Someone else changed the record since it was read (optimistic concurrency)."""

    code = "stale_update"
