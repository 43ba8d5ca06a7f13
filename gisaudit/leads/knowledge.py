"""The audit knowledge base (审计知识库): legal basis and audit steps for each lead rule.

The shipped base is ``gisaudit/rules/knowledge_base.yaml``. An auditor's YAML of the same shape
is merged over it entry by entry: a field the auditor gives replaces the shipped one.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gisaudit.errors import ConfigError
from gisaudit.leads.yamlconf import config_error, read_yaml


class LegalBasis(BaseModel):
    """One legal provision: law name, article, wording (``summary``: paraphrase, not a quote)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    law: str = Field(min_length=1)
    article: str = ""
    text: str = Field(min_length=1)
    summary: bool = False

    def render(self) -> str:
        """``《法》第X条：“原文”`` or ``《法》第X条（摘要）：意译``."""
        law = self.law if "《" in self.law else f"《{self.law}》"
        article = self.article.strip()
        if article.startswith("第"):
            head = f"{law}{article}"
        elif article and article not in ("全文", "相关条款"):
            head = f"{law}“{article}”部分"
        else:
            head = law
        return f"{head}（摘要）：{self.text}" if self.summary else f"{head}：“{self.text}”"


class KnowledgeEntry(BaseModel):
    """What the knowledge base says about one rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = ""
    legal_basis: list[LegalBasis] = Field(default_factory=list)
    audit_steps: list[str] = Field(default_factory=list)


class _KnowledgeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | str | None = None
    entries: dict[str, dict]


class KnowledgeBase(BaseModel):
    """Rule id -> KnowledgeEntry."""

    model_config = ConfigDict(frozen=True)
    entries: dict[str, KnowledgeEntry]

    def entry(self, key: str) -> KnowledgeEntry:
        """The entry for ``key``, or an empty entry when the base has none."""
        return self.entries.get(key) or KnowledgeEntry()

    def legal_basis_text(self, key: str) -> str:
        """The legal basis of a rule as one text, one provision per line ('' when none)."""
        return "\n".join(b.render() for b in self.entry(key).legal_basis)

    def audit_steps(self, key: str) -> list[str]:
        """The audit steps (审计核查步骤) of a rule, in order."""
        return list(self.entry(key).audit_steps)


def _read(source: str | Path, text: str | None = None) -> dict[str, dict]:
    data, locate, name = read_yaml(source, text)
    if not isinstance(data, dict):
        raise ConfigError(f"{name} 第 1 行：应为包含 entries 映射的 YAML。请参照默认知识库。")
    try:
        parsed = _KnowledgeFile.model_validate(data)
        for key, raw in parsed.entries.items():
            try:
                KnowledgeEntry.model_validate(raw)
            except ValidationError as exc:
                raise config_error(exc, name, locate, ["entries", key]) from None
    except ValidationError as exc:
        raise config_error(exc, name, locate, []) from None
    return parsed.entries


@functools.cache
def _default_raw() -> dict[str, dict]:
    text = resources.files("gisaudit.rules").joinpath("knowledge_base.yaml").read_text("utf-8")
    return _read("knowledge_base.yaml", text)


def load_knowledge_base(path: str | Path | None = None) -> KnowledgeBase:
    """Load the shipped knowledge base, with ``path``'s entries merged over it field by field."""
    merged = {k: dict(v) for k, v in _default_raw().items()}
    if path is not None:
        for key, raw in _read(Path(path)).items():
            merged.setdefault(key, {}).update(raw or {})
    return KnowledgeBase(entries={k: KnowledgeEntry.model_validate(v) for k, v in merged.items()})


@functools.cache
def default_knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base (cached)."""
    return load_knowledge_base(None)


def legal_basis_text(rule_id: str, knowledge: KnowledgeBase | None = None) -> str:
    """Legal basis text of a rule from ``knowledge`` (default: the shipped knowledge base)."""
    return (knowledge or default_knowledge_base()).legal_basis_text(rule_id)
