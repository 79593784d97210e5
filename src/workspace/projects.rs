//! Projects (SPEC §1a): create, list, show, add and remove members, delete.
//!
//! Run groups build on this: a group creator snapshots [`Workspace::project_members`] (or, in its
//! own write transaction, `store::members_in`) and records itself with `store::link_group` in
//! that same transaction; [`Workspace::delete_project`] then refuses, naming the groups.

use super::{Error, Workspace};
use crate::model::{MembershipChange, Project};
use crate::store::{ProjectDelete, StoreError};

/// Longest project description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Why a project command did nothing. Every message names the project and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("invalid project ref '{project_ref}': {reason}")]
    InvalidRef { project_ref: String, reason: String },
    #[error(
        "project description is {chars} characters long; the limit is {MAX_DESCRIPTION_CHARS}"
    )]
    DescriptionTooLong { chars: usize },
    #[error("project '{0}' already exists (`blockwise project show {0}`); nothing was changed")]
    Exists(String),
    #[error("no project '{0}'; `blockwise project list` shows them, `blockwise project create {0}` makes it")]
    NotFound(String),
    #[error("project '{0}' has no documents; add some with `blockwise project add {0} DOC...` or `blockwise ingest FOLDER --project {0}`")]
    Empty(String),
    #[error(
        "project '{project_ref}' is used by run group{} {}; nothing was deleted",
        if group_ids.len() == 1 { "" } else { "s" },
        group_ids.join(", ")
    )]
    UsedByGroups {
        project_ref: String,
        group_ids: Vec<String>,
    },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ProjectError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound {
                kind: "project",
                prefix,
            } => ProjectError::NotFound(prefix),
            e => ProjectError::Store(e),
        }
    }
}

/// Check a project ref: the `schema_ref` slug rule.
pub fn validate_project_ref(project_ref: &str) -> Result<(), ProjectError> {
    crate::schema::validate_ref(project_ref).map_err(|e| match e {
        crate::schema::SchemaError::InvalidRef { reason, .. } => ProjectError::InvalidRef {
            project_ref: project_ref.to_string(),
            reason,
        },
        other => ProjectError::InvalidRef {
            project_ref: project_ref.to_string(),
            reason: other.to_string(),
        },
    })
}

impl Workspace {
    /// Create an empty project. A taken ref is [`ProjectError::Exists`]; nothing is written.
    pub fn create_project(
        &self,
        project_ref: &str,
        description: Option<&str>,
    ) -> Result<Project, Error> {
        validate_project_ref(project_ref)?;
        let description = description.map(str::trim).filter(|d| !d.is_empty());
        if let Some(d) = description {
            let chars = d.chars().count();
            if chars > MAX_DESCRIPTION_CHARS {
                return Err(Error::from(ProjectError::DescriptionTooLong { chars }));
            }
        }
        let project = Project {
            project_ref: project_ref.to_string(),
            description: description.map(str::to_string),
            created_at: crate::clock::now_rfc3339(),
            member_count: 0,
            next_position: 0,
        };
        Ok(self
            .store
            .create_project(&project)
            .map_err(ProjectError::from)?
            .ok_or_else(|| ProjectError::Exists(project_ref.to_string()))?)
    }

    /// A project by its ref (exact; refs are short slugs).
    pub fn project(&self, project_ref: &str) -> Result<Project, Error> {
        Ok(self
            .store
            .get_project(project_ref)
            .map_err(ProjectError::from)?
            .ok_or_else(|| ProjectError::NotFound(project_ref.to_string()))?)
    }

    /// Every project, by ref.
    pub fn list_projects(&self) -> Result<Vec<Project>, Error> {
        Ok(self.store.list_projects()?)
    }

    /// The member documents' `conv_uid`s in project order.
    pub fn project_members(&self, project_ref: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .store
            .project_members(project_ref)
            .map_err(ProjectError::from)?)
    }

    /// Like [`Workspace::project_members`], but an empty project is [`ProjectError::Empty`]
    /// (what a run group needs).
    pub fn project_members_nonempty(&self, project_ref: &str) -> Result<Vec<String>, Error> {
        Ok(self.members_nonempty(project_ref)?)
    }

    /// [`Workspace::project_members_nonempty`] as a [`ProjectError`] (a run group refuses it).
    pub(super) fn members_nonempty(&self, project_ref: &str) -> Result<Vec<String>, ProjectError> {
        let members = self.store.project_members(project_ref)?;
        if members.is_empty() {
            return Err(ProjectError::Empty(project_ref.to_string()));
        }
        Ok(members)
    }

    /// Add documents (full `conv_uid`s or unique prefixes) at the end of a project, in the order
    /// given, in one transaction. Every name is resolved first: one unknown or ambiguous name
    /// changes nothing. A document already in the project keeps its place.
    pub fn add_to_project(
        &self,
        project_ref: &str,
        docs: &[String],
    ) -> Result<MembershipChange, Error> {
        self.project(project_ref)?;
        let convs = self.resolve_documents(docs).map_err(ProjectError::from)?;
        Ok(self
            .store
            .add_project_members(project_ref, &convs)
            .map_err(ProjectError::from)?)
    }

    /// Remove documents from a project (never from the store), in one transaction.
    pub fn remove_from_project(
        &self,
        project_ref: &str,
        docs: &[String],
    ) -> Result<MembershipChange, Error> {
        self.project(project_ref)?;
        let convs = self.resolve_documents(docs).map_err(ProjectError::from)?;
        Ok(self
            .store
            .remove_project_members(project_ref, &convs)
            .map_err(ProjectError::from)?)
    }

    /// Delete a project (its documents stay), unless a run group was created from it.
    pub fn delete_project(&self, project_ref: &str) -> Result<Project, Error> {
        match self
            .store
            .delete_project(project_ref)
            .map_err(ProjectError::from)?
        {
            ProjectDelete::Deleted(p) => Ok(p),
            ProjectDelete::UsedByGroups { project, group_ids } => {
                Err(Error::from(ProjectError::UsedByGroups {
                    project_ref: project.project_ref,
                    group_ids,
                }))
            }
        }
    }

    /// Run groups created from a project.
    pub fn project_groups(&self, project_ref: &str) -> Result<Vec<String>, Error> {
        Ok(self.store.project_groups(project_ref)?)
    }

    /// Projects a document belongs to.
    pub fn projects_of_document(&self, conv_uid: &str) -> Result<Vec<String>, Error> {
        Ok(self.store.projects_of_document(conv_uid)?)
    }

    fn resolve_documents(&self, docs: &[String]) -> Result<Vec<String>, StoreError> {
        docs.iter()
            .map(|d| self.store.resolve_document(d))
            .collect()
    }
}
