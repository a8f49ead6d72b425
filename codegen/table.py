"""Hand-written table: operationId -> where the generated function lives, and what it does.

Names are fixed (see the project's NAMES table); summaries are our own words.
``pager`` is ``cursor``, ``page``, ``single`` or ``None`` (not a list operation).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Pager = Literal["cursor", "page", "single"] | None


class Entry(NamedTuple):
    module: str
    function: str
    pager: Pager
    summary: str


#: Resource modules in the order they are documented.
MODULES: tuple[str, ...] = (
    "workspaces",
    "folders",
    "projects",
    "tasks",
    "agents",
    "medias",
    "bundles",
    "me",
    "webhooks",
)

MODULE_SUMMARIES: dict[str, str] = {
    "workspaces": "Workspaces, their folders, and projects created in a workspace.",
    "folders": "Folders: their projects, agents, media files and templates.",
    "projects": "Projects: create, copy, complete, share, and list their tasks and blocks.",
    "tasks": "Tasks: text, placement, completion, assignees, dates, notes and field values.",
    "agents": "AI agents: settings, knowledge sources, public access and conversations.",
    "medias": "Media files: details, upload, download and delete.",
    "bundles": "Bundles: export and import a workspace's content as JSON or zip.",
    "me": "The authenticated user's own projects.",
    "webhooks": "Signed outbound webhooks (API v2): Taskade POSTs events to your URL.",
}

OPERATIONS: dict[str, Entry] = {
    "workspacesGet": Entry("workspaces", "list", "single", "List the workspaces you belong to."),
    "workspaceFoldersGet": Entry(
        "workspaces", "list_folders", "single", "List the folders of a workspace."
    ),
    "workspaceCreateProject": Entry(
        "workspaces", "create_project", None, "Create a project in a workspace from Markdown."
    ),
    "folderProjectsGet": Entry("folders", "list_projects", "single", "List a folder's projects."),
    "folderAgentGenerate": Entry(
        "folders", "generate_agent", None, "Have the AI build an agent from a description."
    ),
    "folderCreateAgent": Entry(
        "folders", "create_agent", None, "Create an agent from settings or a template."
    ),
    "folderAgentGet": Entry("folders", "list_agents", "page", "List a folder's agents."),
    "mediasGet": Entry("folders", "list_medias", "page", "List a folder's media files."),
    "folderProjectTemplatesGet": Entry(
        "folders", "list_templates", "page", "List the project templates of a folder."
    ),
    "projectGet": Entry("projects", "get", None, "Fetch one project."),
    "projectComplete": Entry("projects", "complete", None, "Mark a project as completed."),
    "projectRestore": Entry("projects", "restore", None, "Bring a completed project back."),
    "projectCopy": Entry("projects", "copy", None, "Duplicate a project into a folder."),
    "projectCreate": Entry(
        "projects", "create", None, "Create a project in a folder from Markdown."
    ),
    "projectFromTemplate": Entry(
        "projects", "create_from_template", None, "Create a project from a template."
    ),
    "projectMembersGet": Entry("projects", "list_members", "page", "List a project's members."),
    "projectFieldsGet": Entry(
        "projects", "list_fields", "single", "List the custom fields defined on a project."
    ),
    "projectShareLinkGet": Entry(
        "projects", "get_share_link", None, "Fetch a project's share links."
    ),
    "projectShareLinkEnable": Entry(
        "projects", "enable_share_link", None, "Turn on a project's share link and return it."
    ),
    "projectBlocksGet": Entry(
        "projects", "list_blocks", "cursor", "Walk a project's top-level blocks by cursor."
    ),
    "projectTasksGet": Entry(
        "projects", "list_tasks", "cursor", "Walk a project's tasks in document order by cursor."
    ),
    "taskGet": Entry("tasks", "get", None, "Fetch one task."),
    "taskDelete": Entry("tasks", "delete", None, "Delete a task and everything under it."),
    "taskPut": Entry("tasks", "update", None, "Replace a task's text."),
    "taskComplete": Entry("tasks", "complete", None, "Mark a task as done."),
    "taskUncomplete": Entry("tasks", "uncomplete", None, "Mark a task as not done."),
    "taskCreate": Entry(
        "tasks", "create", None, "Add up to 20 tasks in one call, each placed relative to another."
    ),
    "taskMove": Entry(
        "tasks", "move", None, "Move a task (with its subtree) next to or into another."
    ),
    "taskAssigneesGet": Entry(
        "tasks", "list_assignees", "single", "List the people assigned to a task."
    ),
    "taskPutAssignees": Entry(
        "tasks", "set_assignees", None, "Assign people to a task by their handles."
    ),
    "taskDeleteAssignees": Entry(
        "tasks", "remove_assignee", None, "Unassign one person from a task."
    ),
    "taskGetDate": Entry(
        "tasks", "get_date", None, "Fetch a task's date or date range (None if it has none)."
    ),
    "taskDeleteDate": Entry("tasks", "delete_date", None, "Clear a task's date."),
    "taskPutDate": Entry("tasks", "set_date", None, "Set a task's date or date range."),
    "taskNoteGet": Entry(
        "tasks", "get_note", None, "Fetch the note attached to a task (None if it has none)."
    ),
    "taskNotePut": Entry("tasks", "set_note", None, "Write the note attached to a task."),
    "taskNoteDelete": Entry("tasks", "delete_note", None, "Remove the note attached to a task."),
    "taskFieldsValueGet": Entry(
        "tasks", "list_field_values", "single", "List a task's custom field values."
    ),
    "taskFieldValueGet": Entry(
        "tasks", "get_field_value", None, "Fetch one custom field value of a task."
    ),
    "taskFieldValueDelete": Entry(
        "tasks", "delete_field_value", None, "Clear one custom field value of a task."
    ),
    "taskFieldValuePut": Entry(
        "tasks", "set_field_value", None, "Set one custom field value of a task."
    ),
    "meProjectsGet": Entry("me", "list_projects", "page", "List your projects, by last view."),
    "agentPublicAccessEnable": Entry(
        "agents", "enable_public_access", None, "Publish an agent and return its public URL."
    ),
    "agentGet": Entry("agents", "get", None, "Fetch one agent."),
    "deleteAgent": Entry("agents", "delete", None, "Delete an agent."),
    "agentUpdate": Entry("agents", "update", None, "Change an agent's name or settings."),
    "agentPublicGet": Entry(
        "agents", "get_public", None, "Fetch the public face of an agent and its URL."
    ),
    "agentPublicUpdate": Entry(
        "agents", "update_public", None, "Change how a published agent looks and behaves."
    ),
    "agentKnowledgeProjectCreate": Entry(
        "agents", "add_knowledge_project", None, "Give an agent a project to learn from."
    ),
    "agentKnowledgeMediaCreate": Entry(
        "agents", "add_knowledge_media", None, "Give an agent a media file to learn from."
    ),
    "agentKnowledgeProjectRemove": Entry(
        "agents", "remove_knowledge_project", None, "Take a project out of an agent's knowledge."
    ),
    "agentKnowledgeMediaRemove": Entry(
        "agents", "remove_knowledge_media", None, "Take a media file out of an agent's knowledge."
    ),
    "agentConvosGet": Entry("agents", "list_convos", "page", "List an agent's conversations."),
    "agentConvoGet": Entry("agents", "get_convo", None, "Fetch one conversation of an agent."),
    "publicAgentGet": Entry(
        "agents", "get_public_agent", None, "Fetch a published agent by its public id."
    ),
    "mediaGet": Entry("medias", "get", None, "Fetch one media file's details."),
    "mediaDelete": Entry("medias", "delete", None, "Delete a media file."),
    "mediaDownload": Entry("medias", "download", None, "Stream a media file's bytes."),
    "mediaDownloadAll": Entry(
        "medias", "download_all", None, "Stream every media file of a space as one archive."
    ),
    "mediaUpload": Entry("medias", "upload", None, "Upload a file (streamed) into a space."),
    "bundleExport": Entry("bundles", "export_json", None, "Export a space as a JSON bundle."),
    "bundleExportZip": Entry("bundles", "export_zip", None, "Stream a space's bundle as a zip."),
    "bundleImport": Entry(
        "bundles", "import_json", None, "Install a JSON bundle into a workspace."
    ),
    "bundleImportZip": Entry(
        "bundles", "import_zip", None, "Install a zip bundle (at most 50 MB, streamed)."
    ),
}


#: Named functions for what the spec reaches only through another operation:
#: module -> (function, operationId, its path parameters' new names, summary, note).
ALIASES: dict[str, tuple[tuple[str, str, tuple[str, ...], str, str], ...]] = {
    "workspaces": (
        (
            "list_projects",
            "folderProjectsGet",
            ("workspaceId",),
            "List the projects at a workspace's top level.",
            "A workspace's id is also the id of its root folder: this is\n"
            "    ``folders.list_projects(s, workspace_id)`` under the name you would look for.",
        ),
    ),
}

#: Class names for inline objects, keyed by the name the generator would derive.
CLASS_NAMES: dict[str, str] = {
    "WorkspacesGetItem": "Workspace",
    "WorkspaceFoldersGetItem": "Folder",
    "TaskGetDateItem": "TaskDate",
    "MediaUploadItem": "UploadedMedia",
    "BundleExportItem": "Bundle",
    "BundleItemsEntry": "BundleEntry",
    "AgentPublicAccessEnableResult": "PublicAccess",
    "AgentPublicGetResult": "PublicAgentResult",
    "PublicAgentResultItem": "PublicAgent",
    "PublicAgentDataConversationStarter": "ConversationStarter",
    "PublicAgentPreferencesMeta": "PublicAgentMeta",
    "PublicAgentMetaImage": "FileInfo",
    "AgentPublicUpdatePreferences": "PublicAgentPreferencesUpdate",
    "PublicAgentPreferencesUpdateMeta": "PublicAgentMetaUpdate",
    "SpaceAgentDataCommand": "AgentCommand",
    "SpaceAgentDataAvatar": "EmojiAvatar",
    "TaskMoveTarget": "MoveTarget",
    "TaskCreateTask": "NewTask",
}


# -- API v2 (openapi-v2-excerpt.json) ---------------------------------------------

#: The v2 operations: the same kind of entries, read from the v2 excerpt.
V2_OPERATIONS: dict[str, Entry] = {
    "promptAgent": Entry("agents", "prompt", None, "Ask an agent; returns its answer's text."),
    "getConversation": Entry(
        "agents", "get_conversation", None, "Fetch a conversation, with its Markdown transcript."
    ),
    "createWebhook": Entry(
        "webhooks", "create", None, "Register a webhook; its signing secret is shown only here."
    ),
    "listWebhooks": Entry("webhooks", "list", "single", "List your registered webhooks."),
    "getWebhook": Entry("webhooks", "get", None, "Fetch one webhook by its id (its target URL)."),
    "deleteWebhook": Entry(
        "webhooks", "delete", None, "Delete a webhook; False if it was already gone."
    ),
}

#: What each v2 operation does, for retries: True = repeating it changes nothing.
#: (v2 reads are POSTs; promptAgent runs an LLM and spends credits.)
V2_RETRY_SAFE: dict[str, bool] = {
    "promptAgent": False,
    "getConversation": True,
    "createWebhook": False,
    "listWebhooks": True,
    "getWebhook": True,
    "deleteWebhook": True,
}

#: Ids v2 takes in the JSON body, taken positionally as for v1's path ids, in this order.
V2_POSITIONAL: dict[str, tuple[str, ...]] = {
    "promptAgent": ("spaceId", "agentId"),
    "getConversation": ("agentId", "convoId"),
}

#: Path parameters renamed for the function's signature (``id`` would shadow a builtin).
V2_PATH_PARAMS: dict[str, dict[str, str]] = {
    "getWebhook": {"id": "webhookId"},
    "deleteWebhook": {"id": "webhookId"},
}

#: Operations that return one member of the success object, not a result class.
V2_RETURN_FIELD: dict[str, str] = {
    "promptAgent": "summary",
    "getWebhook": "webhook",
    "deleteWebhook": "deleted",
}

#: A default deadline of at least this many seconds (an agent may think for a while).
V2_MIN_DEADLINE: dict[str, float] = {"promptAgent": 120.0}

#: Class names for the v2 excerpt's inline objects.
V2_CLASS_NAMES: dict[str, str] = {
    "GetConversationResult": "Conversation",
    "CreateWebhookResult": "CreatedWebhook",
}
