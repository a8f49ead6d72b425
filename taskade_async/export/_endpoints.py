"""TEMPORARY: the operations the exporter calls, until ``taskade_async.api.ENDPOINTS`` lands.

Built by hand from the spec's paths and methods (operationId, method, path).
When the generated ``taskade_async.api`` is on main, this module is replaced
by lookups in ``ENDPOINTS`` and deleted.
"""

from __future__ import annotations

from typing import Final

from taskade_async._request import Operation

__all__ = ["ENDPOINTS"]

ENDPOINTS: Final[dict[str, Operation]] = {
    op.operation_id: op
    for op in (
        Operation("workspacesGet", "GET", "/workspaces"),
        Operation("workspaceFoldersGet", "GET", "/workspaces/{workspaceId}/folders"),
        Operation("folderProjectsGet", "GET", "/folders/{folderId}/projects"),
        Operation("folderAgentGet", "GET", "/folders/{folderId}/agents"),
        Operation("mediasGet", "GET", "/folders/{folderId}/medias"),
        Operation("meProjectsGet", "GET", "/me/projects"),
        Operation("projectGet", "GET", "/projects/{projectId}"),
        Operation("projectFieldsGet", "GET", "/projects/{projectId}/fields"),
        Operation("projectMembersGet", "GET", "/projects/{projectId}/members"),
        Operation("projectBlocksGet", "GET", "/projects/{projectId}/blocks"),
        Operation("projectTasksGet", "GET", "/projects/{projectId}/tasks"),
        Operation("taskNoteGet", "GET", "/projects/{projectId}/tasks/{taskId}/note"),
        Operation("taskGetDate", "GET", "/projects/{projectId}/tasks/{taskId}/date"),
        Operation("taskAssigneesGet", "GET", "/projects/{projectId}/tasks/{taskId}/assignees"),
        Operation("taskFieldsValueGet", "GET", "/projects/{projectId}/tasks/{taskId}/fields"),
        Operation("mediaDownload", "GET", "/medias/{mediaId}/download"),
    )
}
