"""The repository: every SQL statement of gisaudit lives in this package.

Functions take a Session (the caller owns the transaction and commits, e.g. with
``gisaudit.storage.db.session_scope``); ``save_evaluation`` also takes an Engine and then
commits by itself. Database failures surface as StorageError.
"""

from gisaudit.storage.repository._common import SYSTEM_USER, Page
from gisaudit.storage.repository.evaluations import (
    get_district,
    get_evaluation,
    get_tenure,
    get_tenure_result,
    latest_tenure_results,
    list_districts,
    list_evaluations,
    list_tenures,
    save_evaluation,
)
from gisaudit.storage.repository.leads import (
    BBox,
    RectificationRate,
    add_lead_note,
    change_lead_state,
    get_lead,
    lead_counts,
    lead_history,
    list_leads,
    rectification_rates,
)
from gisaudit.storage.repository.tenures import create_tenure, update_tenure
from gisaudit.storage.repository.users import (
    authenticate_user,
    create_user,
    get_user,
    hash_password,
    list_users,
    set_user_districts,
    set_user_password,
    set_user_role,
)

__all__ = [
    "SYSTEM_USER",
    "BBox",
    "Page",
    "RectificationRate",
    "add_lead_note",
    "authenticate_user",
    "change_lead_state",
    "create_tenure",
    "create_user",
    "get_district",
    "get_evaluation",
    "get_lead",
    "get_tenure",
    "get_tenure_result",
    "get_user",
    "hash_password",
    "latest_tenure_results",
    "lead_counts",
    "lead_history",
    "list_districts",
    "list_evaluations",
    "list_leads",
    "list_tenures",
    "list_users",
    "rectification_rates",
    "save_evaluation",
    "set_user_districts",
    "set_user_password",
    "set_user_role",
    "update_tenure",
]
