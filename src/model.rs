//! Stage: analysis. Input: the workspace, its index, the configuration and the profiles.
//! Output: the [`Model`] every rule reads: actors, migrations, tracked types and their shapes.
//! Invariant: built once per revision; rules only read it.

use std::collections::BTreeMap;

use crate::actors::{self, Actor, Actors};
use crate::config::Config;
use crate::error::Result;
use crate::index::{Index, TypeId};
use crate::migrations::{self, Migration};
use crate::profiles::Profile;
use crate::resolve::Resolver;
use crate::tracked::{self, Tracked};
use crate::workspace::Workspace;

#[derive(Debug)]
pub struct Model {
    pub ws: Workspace,
    pub index: Index,
    pub config: Config,
    pub profiles: Vec<Profile>,
    pub actors: Actors,
    pub migrations: BTreeMap<TypeId, Migration>,
    pub tracked: BTreeMap<TypeId, Tracked>,
    pub impls: BTreeMap<TypeId, Vec<usize>>,
    /// Whether a base revision (or a lock) is being compared against.
    pub has_history: bool,
}

pub fn analyse(ws: Workspace, index: Index, config: Config, profiles: Vec<Profile>) -> Result<Model> {
    let conventions = migrations::conventions()?;
    let (actors, migrations, tracked, impls) = {
        let res = Resolver::new(&index, &config.aliases);
        let remote: Vec<String> = config.remote.iter().map(|e| e.value.clone()).collect();
        let actors = actors::find(&index, &res, &profiles, &remote);
        let impls = migrations::impls_by_type(&index, &res);
        let migrations =
            migrations::Finder { index: &index, res: &res, impls: &impls, conventions: &conventions }.all();
        let tracker = tracked::Tracker { index: &index, res: &res, migrations: &migrations, impls: &impls };
        let tracked = tracked::find(&tracker, &actors, &config);
        (actors, migrations, tracked, impls)
    };
    Ok(Model { ws, index, config, profiles, actors, migrations, tracked, impls, has_history: false })
}

impl Model {
    pub fn package_of_file(&self, file: u32) -> Option<String> {
        let p = self.index.file_package.get(file as usize).copied().flatten()?;
        self.ws.packages.get(p).map(|p| p.name.clone())
    }

    /// The migration that covers an actor's state: declared on the state type, or on the actor
    /// (when the state type is not the crate's own).
    pub fn migration_of_actor(&self, a: &Actor) -> Option<&Migration> {
        let state = match a.state {
            actors::State::SelfType(t) | actors::State::Local { ty: t, .. } => self.migrations.get(&t),
            _ => None,
        };
        state.or_else(|| a.ty.and_then(|t| self.migrations.get(&t)))
    }

    /// A file of a dependency loaded only to follow re-exports.
    pub fn is_dependency_file(&self, file: u32) -> bool {
        self.index.file_package.get(file as usize).copied().flatten().is_some_and(|p| self.ws.is_dependency(p))
    }

    /// Files of the workspace itself (not of dependencies loaded for re-exports).
    pub fn workspace_files(&self) -> usize {
        self.index.files.iter().filter(|f| !self.is_dependency_file(f.id)).count()
    }

    pub fn is_ephemeral(&self, actor: &str) -> bool {
        self.config.ephemeral.iter().any(|e| e.value == actor)
    }

    pub fn file_path(&self, file: u32) -> String {
        self.index.file(file).map(|f| f.rel_path.clone()).unwrap_or_default()
    }
}
