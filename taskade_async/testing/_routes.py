"""The 64 operations: method, path, and what kind of body each takes."""

from __future__ import annotations

import re
from typing import Final, Literal

import attrs

__all__ = ["ROUTES", "Route"]

BodyKind = Literal["none", "json", "raw"]


@attrs.frozen
class Route:
    """One operation of the API as the fake serves it."""

    operation_id: str
    method: str
    path: str  # relative to /api/v1, with {name} placeholders
    body: BodyKind = "none"

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regex for the raw (still percent-encoded) path below /api/v1."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path.rstrip("/")))
        return re.compile(f"^{regex}/?$")


def _r(operation_id: str, method: str, path: str, body: BodyKind = "none") -> Route:
    return Route(operation_id, method, path, body)


ROUTES: Final[tuple[Route, ...]] = (
    # Workspace
    _r("workspacesGet", "GET", "/workspaces"),
    _r("workspaceFoldersGet", "GET", "/workspaces/{workspaceId}/folders"),
    _r("workspaceCreateProject", "POST", "/workspaces/{workspaceId}/projects", "json"),
    # Folder
    _r("folderProjectsGet", "GET", "/folders/{folderId}/projects"),
    _r("folderAgentGenerate", "POST", "/folders/{folderId}/agent-generate", "json"),
    _r("folderCreateAgent", "POST", "/folders/{folderId}/agents", "json"),
    _r("folderAgentGet", "GET", "/folders/{folderId}/agents"),
    _r("mediasGet", "GET", "/folders/{folderId}/medias"),
    _r("folderProjectTemplatesGet", "GET", "/folders/{folderId}/project-templates"),
    # Project
    _r("projectCreate", "POST", "/projects", "json"),
    _r("projectFromTemplate", "POST", "/projects/from-template", "json"),
    _r("projectGet", "GET", "/projects/{projectId}"),
    _r("projectComplete", "POST", "/projects/{projectId}/complete"),
    _r("projectRestore", "POST", "/projects/{projectId}/restore"),
    _r("projectCopy", "POST", "/projects/{projectId}/copy", "json"),
    _r("projectMembersGet", "GET", "/projects/{projectId}/members"),
    _r("projectFieldsGet", "GET", "/projects/{projectId}/fields"),
    _r("projectShareLinkGet", "GET", "/projects/{projectId}/shareLink"),
    _r("projectShareLinkEnable", "PUT", "/projects/{projectId}/shareLink"),
    _r("projectBlocksGet", "GET", "/projects/{projectId}/blocks"),
    _r("projectTasksGet", "GET", "/projects/{projectId}/tasks"),
    # Task
    _r("taskCreate", "POST", "/projects/{projectId}/tasks/", "json"),
    _r("taskGet", "GET", "/projects/{projectId}/tasks/{taskId}"),
    _r("taskDelete", "DELETE", "/projects/{projectId}/tasks/{taskId}"),
    _r("taskPut", "PUT", "/projects/{projectId}/tasks/{taskId}", "json"),
    _r("taskComplete", "POST", "/projects/{projectId}/tasks/{taskId}/complete"),
    _r("taskUncomplete", "POST", "/projects/{projectId}/tasks/{taskId}/uncomplete"),
    _r("taskMove", "PUT", "/projects/{projectId}/tasks/{taskId}/move", "json"),
    _r("taskAssigneesGet", "GET", "/projects/{projectId}/tasks/{taskId}/assignees"),
    _r("taskPutAssignees", "PUT", "/projects/{projectId}/tasks/{taskId}/assignees", "json"),
    _r(
        "taskDeleteAssignees",
        "DELETE",
        "/projects/{projectId}/tasks/{taskId}/assignees/{assigneeHandle}",
    ),
    _r("taskGetDate", "GET", "/projects/{projectId}/tasks/{taskId}/date"),
    _r("taskDeleteDate", "DELETE", "/projects/{projectId}/tasks/{taskId}/date"),
    _r("taskPutDate", "PUT", "/projects/{projectId}/tasks/{taskId}/date", "json"),
    _r("taskNoteGet", "GET", "/projects/{projectId}/tasks/{taskId}/note"),
    _r("taskNotePut", "PUT", "/projects/{projectId}/tasks/{taskId}/note", "json"),
    _r("taskNoteDelete", "DELETE", "/projects/{projectId}/tasks/{taskId}/note"),
    _r("taskFieldsValueGet", "GET", "/projects/{projectId}/tasks/{taskId}/fields"),
    _r("taskFieldValueGet", "GET", "/projects/{projectId}/tasks/{taskId}/fields/{fieldId}"),
    _r("taskFieldValueDelete", "DELETE", "/projects/{projectId}/tasks/{taskId}/fields/{fieldId}"),
    _r("taskFieldValuePut", "PUT", "/projects/{projectId}/tasks/{taskId}/fields/{fieldId}", "json"),
    # Me
    _r("meProjectsGet", "GET", "/me/projects"),
    # Agent
    _r("agentGet", "GET", "/agents/{agentId}"),
    _r("deleteAgent", "DELETE", "/agents/{agentId}"),
    _r("agentUpdate", "PATCH", "/agents/{agentId}", "json"),
    _r("agentPublicAccessEnable", "PUT", "/agents/{agentId}/publicAccess"),
    _r("agentPublicGet", "GET", "/agents/{agentId}/public-agent"),
    _r("agentPublicUpdate", "PATCH", "/agents/{agentId}/public-agent", "json"),
    _r("agentKnowledgeProjectCreate", "POST", "/agents/{agentId}/knowledge/project", "json"),
    _r("agentKnowledgeMediaCreate", "POST", "/agents/{agentId}/knowledge/media", "json"),
    _r("agentKnowledgeProjectRemove", "DELETE", "/agents/{agentId}/knowledge/project/{projectId}"),
    _r("agentKnowledgeMediaRemove", "DELETE", "/agents/{agentId}/knowledge/media/{mediaId}"),
    _r("agentConvosGet", "GET", "/agents/{agentId}/convos/"),
    _r("agentConvoGet", "GET", "/agents/{agentId}/convos/{convoId}"),
    _r("publicAgentGet", "GET", "/public-agents/{publicAgentId}"),
    # Media
    _r("mediaGet", "GET", "/medias/{mediaId}"),
    _r("mediaDelete", "DELETE", "/medias/{mediaId}"),
    _r("mediaDownload", "GET", "/medias/{mediaId}/download"),
    _r("mediaDownloadAll", "GET", "/medias/spaces/{spaceId}/download"),
    _r("mediaUpload", "POST", "/medias/spaces/{spaceId}/upload", "raw"),
    # Bundle
    _r("bundleExport", "GET", "/bundles/{spaceId}/export"),
    _r("bundleExportZip", "GET", "/bundles/{spaceId}/export/zip"),
    _r("bundleImport", "POST", "/bundles/{workspaceId}/import", "json"),
    _r("bundleImportZip", "POST", "/bundles/{workspaceId}/import/zip", "raw"),
)
