"""Request-body rules of every operation, in one declarative place (queries: ``_queries``).

Hand-written from the API's contract (the spec is not shipped), with the
spec's known defects resolved as the project's ERRATA says: taskCreate items
(ERRATA 4) carry ``contentType``, ``content`` (at most 2,000 characters),
``placement`` and an optional ``taskId`` that may be null; "nullable without
a type" (ERRATA 3) means "this value or null".
"""

from __future__ import annotations

from typing import Final

from ._validate import Schema

__all__ = ["AGENT_TEMPLATES", "BODIES"]

_ID: Final[Schema] = {"type": "string", "minLength": 1}
_ONE_LINE: Final = r"^[^\r\n]*$"

AGENT_TEMPLATES: Final = (
    "Tasker",
    "Researcher",
    "Marketer",
    "EmailWriter",
    "Sales",
    "CustomerSupport",
    "ProjectManager",
    "ContentCreator",
    "Copywriter",
    "LegalAdvisor",
    "SeoSpecialist",
    "ProductivityCoach",
    "EngineeringExpert",
    "Translator",
    "Summarizer",
    "ResumeBuilder",
    "Storyteller",
    "Tutor",
    "BrandStrategist",
    "SocialMediaSpecialist",
    "BusinessStrategist",
    "FinancialAnalyst",
    "HumanResourcesManager",
    "DataScientist",
    "ITConsultant",
    "FinancialAdvisor",
    "HealthCoach",
    "SustainabilityConsultant",
    "UXDesigner",
    "QualityAssuranceAnalyst",
    "ProductManager",
    "GrowthHacker",
    "BusinessDevelopmentManager",
    "PublicRelationsSpecialist",
    "EventPlanner",
    "DataAnalyst",
    "Editor",
    "CEO",
    "InterviewCoach",
    "TechSupportAdvisor",
    "Doctor",
    "BlogExpert",
    "TweetOptimizer",
    "EmailMarketer",
    "CourseCreator",
    "ScriptCreator",
    "ScreenplayWriter",
    "Proofreader",
    "SalesColdEmailCoach",
    "CodeExplainer",
    "CreativeWritingCoach",
    "AdvertisingCopywriter",
    "VideoScriptWriter",
    "ProjectArchitect",
    "AICouncil",
    "Negotiator",
    "VCAssociate",
    "Books",
    "StartupMentor",
    "SmallBusiness",
    "WebDevelopment",
    "PromptEngineer",
    "ArticleWriter",
    "WorkflowAgent",
    "StrategyAgent",
    "ViralAgent",
    "SOPOnboardingAgent",
    "PressReleaseAgent",
    "Designer",
    "Brainstormer",
    "Builder",
    "ResearchAnalyst",
    "OperationsManager",
    "CodeReviewer",
    "LeadScorer",
    "ContactEnricher",
    "ContentStrategist",
    "DealMover",
    "Estimator",
    "DigitalTwin",
    "WatchFloorBriefer",
    "AnomalySpotter",
    "RestockAdvisor",
    "AppDoctor",
    "RenewalChaser",
    "WinBackSpecialist",
    "NoShowRescuer",
    "AbandonedCartRecoverer",
    "ReviewResponder",
    "TestimonialHarvester",
    "SponsorshipManager",
    "CourseLaunchStrategist",
    "CurriculumAuthor",
    "PersonalizedRoadmapGenerator",
    "DispatchCoordinator",
    "ProviderNetworkBuilder",
    "ClaimsClerk",
    "ListingMarketer",
    "GrantWriter",
    "ComplianceKeeper",
    "LeadQualifier",
    "ClientOnboardingConcierge",
    "PipelineReporter",
    "LearnerCoach",
)

_DATE: Final[Schema] = {
    "type": "object",
    "properties": {
        # The pattern lets 2026-13-45 through; the API stores only real dates.
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"},
        "time": {
            "type": "string",
            "pattern": r"^(?:[0-1][0-9]|[2][0-3]):[0-5][0-9](?::[0-5][0-9])?$",
            "nullable": True,
        },
        "timezone": {"type": "string", "nullable": True},
    },
    "required": ["date"],
    "additionalProperties": False,
}

_AVATAR: Final[Schema] = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["emoji"]},
                "data": {
                    "type": "object",
                    "properties": {"value": {"type": "string"}},
                    "required": ["value"],
                    "additionalProperties": False,
                },
            },
            "required": ["type", "data"],
            "additionalProperties": False,
        }
    ]
}

AGENT_DATA: Final[Schema] = {
    "type": "object",
    "properties": {
        "commands": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "prompt": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "minLength": 1},
                    "mode": {
                        "type": "string",
                        "enum": ["default", "plan-and-execute-v1", "plan-and-execute-v2"],
                    },
                },
                "required": ["name", "prompt", "id"],
                "additionalProperties": False,
            },
        },
        "description": {"type": "string"},
        "tone": {
            "type": "string",
            "enum": [
                "authoritative", "clinical", "cold", "confident", "cynical", "emotional",
                "empathetic", "formal", "friendly", "humourous", "informal", "ironic",
                "optimistic", "pessimistic", "playful", "sarcastic", "serious", "sympathetic",
                "tentative", "warm", "creative", "inspiring", "casual",
            ],
        },
        "avatar": _AVATAR,
        "knowledgeEnabled": {"type": "boolean"},
        "language": {"type": "string"},
        "inputPlaceholder": {"type": "string", "nullable": True},
    },
    "required": ["commands"],
    "additionalProperties": False,
}  # fmt: skip

_FILE: Final[Schema] = {
    "type": "object",
    "properties": {
        "ownerID": {"type": "string"},
        "ownerType": {"type": "string", "minLength": 1, "nullable": True},
        "id": {"type": "string"},
        "namespace": {"type": "string"},
        "extension": {"type": "string"},
        "s3KeyOriginal": {"type": "string"},
        "userID": {"type": "number", "nullable": True},
        "spaceID": {"type": "string", "minLength": 1, "nullable": True},
        "documentID": {"type": "string", "minLength": 1, "nullable": True},
        "nodeID": {"type": "string", "minLength": 1, "nullable": True},
        "size": {"type": "number"},
        "mimetype": {"type": "string"},
        "metadata": {"type": "object"},
        "type": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
    },
    "required": ["ownerID", "id", "namespace", "extension", "s3KeyOriginal", "size", "mimetype"],
}

_PREFERENCES: Final[Schema] = {
    "type": "object",
    "properties": {
        "mode": {"type": "string", "enum": ["template", "chatbot"]},
        "canCopyKnowledge": {"type": "boolean"},
        "hideBranding": {"type": "boolean"},
        "theme": {"type": "string", "enum": ["light", "dark", "auto"]},
        "autoEndChats": {"type": "boolean"},
        "meta": {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "image": {**_FILE, "nullable": True},
            },
            "additionalProperties": False,
        },
        "color": {"type": "string"},
        "launcherIcon": {
            "nullable": True,
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["emoji"]},
                        "value": {"type": "string", "minLength": 1},
                    },
                    "required": ["type", "value"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["custom"]},
                        "image": _FILE,
                    },
                    "required": ["type", "image"],
                    "additionalProperties": False,
                },
            ],
        },
    },
    "additionalProperties": False,
}

_BUNDLE: Final[Schema] = {
    "type": "object",
    "properties": {
        "version": {"type": "string", "enum": ["1"]},
        "items": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"type": {"type": "string"}},
                "required": ["type"],
            },
        },
    },
    "required": ["version", "items"],
    "additionalProperties": False,
}


def _body(required: list[str], **properties: Schema) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_MARKDOWN: Final[Schema] = {"type": "string", "enum": ["text/markdown"]}
_TEXT_TYPES: Final[Schema] = {"type": "string", "enum": ["text/markdown", "text/plain"]}
_PLACEMENT: Final[Schema] = {
    "type": "string",
    "enum": ["beforebegin", "afterbegin", "beforeend", "afterend"],
}

#: operationId -> the schema of its JSON request body (operations that take one).
BODIES: Final[dict[str, Schema]] = {
    "workspaceCreateProject": _body(
        ["contentType", "content"], contentType=_MARKDOWN, content={"type": "string"}
    ),
    "projectCreate": _body(
        ["folderId", "contentType", "content"],
        folderId=_ID,
        contentType=_MARKDOWN,
        content={"type": "string"},
    ),
    "projectCopy": _body(["folderId"], folderId=_ID, projectTitle=_ID),
    "projectFromTemplate": _body(["folderId", "templateId"], folderId=_ID, templateId=_ID),
    "taskPut": _body(
        ["contentType", "content"],
        contentType=_TEXT_TYPES,
        content={"type": "string", "pattern": _ONE_LINE, "maxLength": 2000},
    ),
    "taskCreate": _body(
        ["tasks"],
        tasks={
            "type": "array",
            "maxItems": 20,
            "items": _body(
                ["contentType", "content", "placement"],
                contentType=_TEXT_TYPES,
                content={"type": "string", "maxLength": 2000},
                taskId={"type": "string", "minLength": 1, "nullable": True},
                placement=_PLACEMENT,
            ),
        },
    ),
    "taskMove": _body(
        ["target"], target=_body(["taskId", "position"], taskId=_ID, position=_PLACEMENT)
    ),
    "taskPutAssignees": _body(["handles"], handles={"type": "array", "items": _ID}),
    "taskPutDate": _body(["start"], start=_DATE, end=_DATE),
    "taskNotePut": _body(
        ["type", "value"],
        type={"type": "string", "enum": ["text/plain", "text/markdown"]},
        value={"type": "string", "minLength": 1, "pattern": _ONE_LINE},
    ),
    "taskFieldValuePut": _body(
        ["value"], value={"anyOf": [{"type": "number"}, {"type": "string", "minLength": 1}]}
    ),
    "folderAgentGenerate": _body(["text"], text={"type": "string"}),
    "folderCreateAgent": _body(
        ["name", "data"],
        name={"type": "string"},
        data={
            "anyOf": [
                _body(["type", "data"], type={"type": "string", "enum": ["data"]}, data=AGENT_DATA),
                _body(
                    ["type", "template"],
                    type={"type": "string", "enum": ["template"]},
                    template=_body(
                        ["type"],
                        type={"type": "string", "enum": list(AGENT_TEMPLATES)},
                        avatar=_AVATAR,
                    ),
                ),
            ]
        },
    ),
    "agentUpdate": _body([], name={"type": "string"}, data=AGENT_DATA),
    "agentPublicUpdate": _body(["preferences"], preferences=_PREFERENCES),
    "agentKnowledgeProjectCreate": _body(["projectId"], projectId={"type": "string"}),
    "agentKnowledgeMediaCreate": _body(["mediaId"], mediaId={"type": "string"}),
    "bundleImport": _body(["bundleData"], bundleData=_BUNDLE),
}
