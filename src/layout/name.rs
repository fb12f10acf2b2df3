//! What to call a model's downloads: after the folder it came in, as users
//! name their models (`char_lstm/model.ckpt-1000`), since nine checkpoints in
//! ten share TF's default prefix `model.ckpt`.

/// Folder names that say where TF keeps things, not which model it is.
const GENERIC_FOLDERS: [&str; 6] = [
    "checkpoints",
    "checkpoint",
    "model",
    "models",
    "variables",
    "saved_model",
];

/// Said when nothing better is found.
const FALLBACK: &str = "model";

/// A folder name that does not tell the model: a generic one, or a
/// SavedModel's numeric version (TF Serving's `1/`, a timestamp).
fn is_generic(folder: &str) -> bool {
    let lower = folder.to_ascii_lowercase();
    folder.is_empty()
        || folder == "."
        || folder == ".."
        || GENERIC_FOLDERS.contains(&lower.as_str())
        || folder.bytes().all(|b| b.is_ascii_digit())
}

/// The names TF gives a SavedModel's files, which say nothing of the model.
const SAVED_MODEL_NAMES: [&str; 2] = ["variables", "saved_model"];

/// A file's name without what TF adds: the graph extensions, `-STEP`, `.ckpt`.
fn stem(file: &str) -> &str {
    let mut stem = file;
    for ext in [".pbtxt", ".pb", ".meta", ".index"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    if let Some((head, step)) = stem.rsplit_once('-') {
        if !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit()) {
            stem = head;
        }
    }
    stem.strip_suffix(".ckpt").unwrap_or(stem)
}

/// The model's name, for its downloads (`<name>_frozen.pb`): `paths` are its
/// files as given, most telling first (the checkpoint prefix, then the graph).
/// The nearest folder of any of them whose name is not generic; else the
/// first file name without `.ckpt` and `-STEP` (a SavedModel's `variables`
/// and `saved_model` skipped); else `model`.
pub fn model_name(paths: &[&str]) -> String {
    let parts: Vec<Vec<&str>> = paths
        .iter()
        .map(|path| path.split(['/', '\\']).filter(|p| !p.is_empty()).collect())
        .collect();
    let folder = parts.iter().find_map(|p| {
        let folders = p.split_last().map_or(&[][..], |(_, folders)| folders);
        folders.iter().rev().find(|f| !is_generic(f))
    });
    if let Some(folder) = folder {
        return (*folder).to_owned();
    }
    let file = parts
        .iter()
        .filter_map(|p| p.last().map(|f| stem(f)))
        .find(|s| !s.is_empty() && !SAVED_MODEL_NAMES.contains(s));
    file.unwrap_or(FALLBACK).to_owned()
}

/// The frozen graph's file name for a model of `paths` (see [`model_name`]).
pub fn frozen_file_name(paths: &[&str]) -> String {
    format!("{}_frozen.pb", model_name(paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_folder_that_is_not_generic_names_the_model() {
        assert_eq!(model_name(&["char_lstm/model.ckpt-1000"]), "char_lstm");
        assert_eq!(
            model_name(&["runs/char_lstm/checkpoints/model.ckpt"]),
            "char_lstm"
        );
        assert_eq!(
            model_name(&["resnet/1/variables/variables", "resnet/1/saved_model.pb"]),
            "resnet"
        );
        assert_eq!(model_name(&["mnist/1553532466/saved_model.pb"]), "mnist");
        assert_eq!(
            model_name(&["Models/Checkpoint/inception.ckpt"]),
            "inception"
        );
        assert_eq!(model_name(&["C:\\work\\yolo\\model.ckpt"]), "yolo");
    }

    #[test]
    fn without_a_telling_folder_the_prefix_names_it() {
        assert_eq!(model_name(&["model.ckpt-1000"]), "model");
        assert_eq!(model_name(&["checkpoints/char_lstm.ckpt-20"]), "char_lstm");
        assert_eq!(model_name(&["bert_model.ckpt"]), "bert_model");
        assert_eq!(model_name(&["graph-2"]), "graph");
        // TF's default prefix still beats the graph's file name.
        assert_eq!(model_name(&["model.ckpt", "graph.pb"]), "model");
        // A SavedModel's `variables/variables` says nothing; its graph's name does not either.
        assert_eq!(
            model_name(&["variables/variables", "saved_model.pb"]),
            "model"
        );
        assert_eq!(model_name(&["variables", "my_net.meta"]), "my_net");
        assert_eq!(model_name(&[]), "model");
        assert_eq!(model_name(&["", "/"]), "model");
    }

    #[test]
    fn the_frozen_file_is_named_after_the_model() {
        assert_eq!(
            frozen_file_name(&["char_lstm/model.ckpt-1000"]),
            "char_lstm_frozen.pb"
        );
        assert_eq!(frozen_file_name(&["model.ckpt"]), "model_frozen.pb");
    }
}
