"""SQLModel tables, one module per area. Importing this package registers every table."""

from labtrack.models.accounts import ROLES, ApiToken, User
from labtrack.models.audit import AuditEntry, AuditVerification
from labtrack.models.base import metadata, utcnow
from labtrack.models.counters import AccessionCounter
from labtrack.models.custody import CustodyEvent, CustodyItem, LabelPrint
from labtrack.models.dashboard import DashboardSnapshot
from labtrack.models.dvi_events import (
    DviAnalysis,
    DviEvent,
    DviEventMissing,
    DviEventRemains,
    DviProposal,
    DviReview,
)
from labtrack.models.families import (
    ConsentRecord,
    Donor,
    Family,
    MissingPerson,
    PedigreeMember,
    RemovedPedigreeMember,
)
from labtrack.models.family_side import FamilySideVersion
from labtrack.models.identification import (
    FamilyNotification,
    Identification,
    IssuedDocument,
    IssuedDocumentContent,
    RetractionProposal,
    Signature,
)
from labtrack.models.inquiry import InquiryAccess, InquiryChangeRequest, InquiryCode
from labtrack.models.jobs import JOB_ENDED, JOB_STATUSES, Job
from labtrack.models.kinship_power import FamilyPower
from labtrack.models.matching import Match, MatchEvidence, MatchReview, MatchRun
from labtrack.models.person_links import MissingPersonLink
from labtrack.models.profiles import (
    FrequencyEntry,
    FrequencyTable,
    Profile,
    ProfileAllele,
    ProfileGenotype,
    ProfileImport,
    StaffMember,
)
from labtrack.models.reassociation import (
    ReassociationGrave,
    ReassociationGroup,
    ReassociationPair,
    ReassociationRun,
)
from labtrack.models.review_status import install_review_status_guard
from labtrack.models.samples import Sample, SampleStateChange, StorageLocation
from labtrack.models.search import NameIndex
from labtrack.models.settings import LabMatchSetting
from labtrack.models.sites import Individual, Remains, Site
from labtrack.models.uploads import UPLOAD_KINDS, Upload, UploadContent

# Tables whose rows are evidence: the database refuses UPDATE and DELETE on them.
APPEND_ONLY_TABLES: tuple[str, ...] = (
    "audit_entry",
    "audit_verification",
    "custody_event",
    "sample_state_change",
    "consent_record",
    "match_review",
    "match_evidence",
    "signature",
    "identification",
    "family_notification",
    "label_print",
    "issued_document",
    "issued_document_content",
    "inquiry_access",
    "family_power",
    "retraction_proposal",
    "lab_match_setting",
    "dvi_analysis",
    "dvi_proposal",
    "dvi_review",
    "missing_person_link",
    "removed_pedigree_member",
    "reassociation_run",
    "reassociation_pair",
    "reassociation_group",
    "reassociation_grave",
)

__all__ = [
    "APPEND_ONLY_TABLES", "UPLOAD_KINDS", "Upload", "UploadContent", "AccessionCounter", "ROLES", "ApiToken",
    "AuditEntry", "AuditVerification", "ConsentRecord", "CustodyEvent",
    "CustodyItem", "DashboardSnapshot", "Donor", "DviAnalysis", "DviEvent", "DviEventMissing", "DviEventRemains",
    "DviProposal", "DviReview", "Family", "FamilySideVersion", "FamilyNotification", "FamilyPower", "FrequencyEntry",
    "FrequencyTable",
    "Identification", "Individual", "InquiryAccess", "InquiryChangeRequest", "InquiryCode", "IssuedDocument",
    "IssuedDocumentContent", "JOB_ENDED", "JOB_STATUSES", "Job", "LabMatchSetting", "LabelPrint", "Match",
    "MatchEvidence", "MatchReview", "MissingPersonLink",
    "MatchRun", "MissingPerson", "NameIndex", "PedigreeMember", "Profile", "ProfileAllele", "ProfileGenotype",
    "ProfileImport",
    "ReassociationGrave", "ReassociationGroup", "ReassociationPair", "ReassociationRun",
    "Remains", "RemovedPedigreeMember",
    "RetractionProposal", "Sample", "SampleStateChange", "Signature", "Site", "StaffMember",
    "StorageLocation", "User", "install_review_status_guard", "metadata", "utcnow",
]
