"""Leads (疑点): YAML lead rules, the knowledge base, the engine, evidence and outputs."""

from gisaudit.leads.engine import find_leads
from gisaudit.leads.frame import LEAD_COLUMNS, empty_leads, lead_id
from gisaudit.leads.knowledge import (
    KnowledgeBase,
    default_knowledge_base,
    legal_basis_text,
    load_knowledge_base,
)
from gisaudit.leads.outputs import write_leads
from gisaudit.leads.rules import LeadRule, load_lead_rules

__all__ = [
    "LEAD_COLUMNS",
    "KnowledgeBase",
    "LeadRule",
    "default_knowledge_base",
    "empty_leads",
    "find_leads",
    "lead_id",
    "legal_basis_text",
    "load_knowledge_base",
    "load_lead_rules",
    "write_leads",
]
