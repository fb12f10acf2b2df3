//! Which checkpoint prefix `--input_checkpoint` means. TF's Saver writes any
//! prefix it is given (saver.py `Saver.save`): `model/` gives `model/.index`
//! (an empty base name), a step alone gives `-50`, and the `checkpoint` state
//! file may name a path from the machine that trained. The rules here are
//! over names only; the caller says what a folder holds through [`Folder`].

use super::{describe, parse_data_file_name, NameKind, CHECKPOINT_STATE};
use crate::error::{Error, Result};

/// What the resolution needs to know of the file system.
pub trait Folder {
    /// Whether there is something at `path` that is not a folder.
    fn is_file(&self, path: &str) -> bool;
    /// Whether `path` is a folder.
    fn is_dir(&self, path: &str) -> bool;
    /// The names of the entries of folder `dir` (`""` is the working folder).
    fn names(&self, dir: &str) -> Vec<String>;
    /// The text of a small file, if it can be read.
    fn text(&self, path: &str) -> Option<String>;
}

/// `(folder, base name)` of a prefix: `model/` is `("model", "")`, `-50` is
/// `("", "-50")`. Only `/` separates: a backslash is part of a file name here.
pub fn split_prefix(prefix: &str) -> (&str, &str) {
    match prefix.rfind('/') {
        // The root keeps its slash: `/model.ckpt` is in `/`.
        Some(0) => (
            prefix.get(..1).unwrap_or_default(),
            prefix.get(1..).unwrap_or_default(),
        ),
        Some(at) => (
            prefix.get(..at).unwrap_or_default(),
            prefix.get(at + 1..).unwrap_or_default(),
        ),
        None => ("", prefix),
    }
}

/// The prefix with base name `base` in folder `dir`.
pub fn join_prefix(dir: &str, base: &str) -> String {
    if dir.is_empty() {
        return base.to_owned();
    }
    let dir = dir.trim_end_matches('/');
    format!("{dir}/{base}")
}

/// The global step a Saver appended to a prefix (`model.ckpt-50`, `-50`), if any.
pub fn step_of(prefix: &str) -> Option<u64> {
    let (_, base) = split_prefix(prefix);
    let (_, digits) = base.rsplit_once('-')?;
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

/// The V2 prefixes (base names) whose `.index` is among `names`, newest step
/// first, then by name.
pub fn prefixes_in(names: &[String]) -> Vec<String> {
    let mut found: Vec<String> = names
        .iter()
        .map(|name| describe(name))
        .filter(|d| d.kind == NameKind::Index)
        .map(|d| d.prefix.to_owned())
        .collect();
    found.sort_by(|a, b| step_of(b).cmp(&step_of(a)).then_with(|| a.cmp(b)));
    found.dedup();
    found
}

/// The base names a `checkpoint` state file lists, newest first: its
/// `model_checkpoint_path`, then `all_model_checkpoint_paths` from the last.
/// Only the base name counts: the folder may be from another machine
/// (checkpoint_management.py writes absolute paths unless they are beside it).
pub fn state_file_entries(text: &str) -> Vec<String> {
    let mut latest = Vec::new();
    let mut all = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        let Some(path) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
            continue;
        };
        // Written on Windows, the path may use backslashes.
        let base = path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned();
        match key.trim() {
            "model_checkpoint_path" => latest.push(base),
            "all_model_checkpoint_paths" => all.push(base),
            _ => {}
        }
    }
    all.reverse();
    latest.extend(all);
    let mut seen = Vec::new();
    latest.retain(|b| {
        let fresh = !seen.contains(b);
        seen.push(b.clone());
        fresh
    });
    latest
}

/// The checkpoint prefix `given` means, in TF's order: `given` itself when
/// `given.index` or a V1 table `given` is there (so `model/` means
/// `model/.index`); the prefix of a `.index` or `.data-…` path; for a folder,
/// its `checkpoint` state file's newest entry that is there, else its newest
/// step. Else an error that lists the prefixes there are.
pub fn resolve_prefix(given: &str, folder: &impl Folder) -> Result<String> {
    if folder.is_file(&format!("{given}.index")) {
        return Ok(given.to_owned());
    }
    if let Some(prefix) = named_prefix(given) {
        return Ok(prefix.to_owned());
    }
    if folder.is_file(given) || has_v1_shards(given, folder) {
        return Ok(given.to_owned());
    }
    if folder.is_dir(given) {
        return in_folder(given, folder);
    }
    let (dir, _) = split_prefix(given);
    Err(refusal(given, dir, &prefixes_in(&folder.names(dir))))
}

/// The prefix in the name of an `.index` or `.data-…` file.
fn named_prefix(given: &str) -> Option<&str> {
    if let Some(prefix) = given.strip_suffix(".index") {
        return Some(prefix);
    }
    parse_data_file_name(given).map(|(prefix, _, _)| prefix)
}

fn has_v1_shards(given: &str, folder: &impl Folder) -> bool {
    let (dir, base) = split_prefix(given);
    folder
        .names(dir)
        .iter()
        .any(|name| super::parse_v1_table_name(name).is_some_and(|(p, _, _)| p == base))
}

/// The checkpoint a folder holds: the state file's newest entry, else the newest step.
fn in_folder(dir: &str, folder: &impl Folder) -> Result<String> {
    let names = folder.names(dir);
    let present = |base: &str| {
        let prefix = join_prefix(dir, base);
        folder.is_file(&format!("{prefix}.index")) || folder.is_file(&prefix)
    };
    let state = folder
        .text(&join_prefix(dir, CHECKPOINT_STATE))
        .unwrap_or_default();
    if let Some(base) = state_file_entries(&state).into_iter().find(|b| present(b)) {
        return Ok(join_prefix(dir, &base));
    }
    let prefixes = prefixes_in(&names);
    let newest = prefixes
        .first()
        .filter(|p| prefixes.len() == 1 || step_of(p).is_some());
    match newest {
        Some(base) => Ok(join_prefix(dir, base)),
        None if prefixes.is_empty() => Err(refusal(dir, dir, &prefixes)),
        None => Err(Error::MissingFile {
            file: dir.to_owned(),
            detail: format!(
                "is a folder of several checkpoints without steps, and no `checkpoint` file names one; pass one of {}",
                listed(dir, &prefixes)
            ),
        }),
    }
}

fn refusal(given: &str, dir: &str, prefixes: &[String]) -> Error {
    let detail = if prefixes.is_empty() {
        format!("Input checkpoint '{given}' doesn't exist! (no checkpoint .index files there)")
    } else {
        format!(
            "Input checkpoint '{given}' doesn't exist! The checkpoint prefixes there are {}; pass one of them",
            listed(dir, prefixes)
        )
    };
    Error::MissingFile {
        file: given.to_owned(),
        detail,
    }
}

/// Prefixes as the user would type them, quoted.
fn listed(dir: &str, prefixes: &[String]) -> String {
    let quoted: Vec<String> = prefixes
        .iter()
        .map(|b| format!("'{}'", join_prefix(dir, b)))
        .collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests;
