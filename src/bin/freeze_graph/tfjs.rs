//! `--output_format=tfjs_graph_model`: the frozen graph as a TF.js graph
//! model in `--output_dir`, with `tensorflowjs_converter`'s quantization and
//! shard-size flags. The folder is written beside its final place under a
//! temporary name and renamed when complete, so a failed export leaves
//! nothing; Ctrl-C removes the temporary folder too.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use tf_freeze::options::{OptionRow, OptionValues, OPTIONS};
use tf_freeze::tfjs::{self, ExportOptions};
use tf_freeze::{Error, FreezeRequest, Plan};

use crate::say::{did, say_notes};
use crate::write::Shards;

/// Where and how the model is exported.
pub struct Target {
    dir: PathBuf,
    shown: String,
    options: ExportOptions,
}

impl Target {
    /// The export the flags ask for, if any; contradicting flags are usage errors.
    pub fn from_flags(values: &OptionValues) -> Result<Option<Target>, Error> {
        match values.text("output_format") {
            "frozen_pb" => {
                let given = |row: &&OptionRow| row.tfjs_only && values.given(row.flag).is_some();
                if let Some(OptionRow { flag, .. }) = OPTIONS.iter().find(given) {
                    return Err(Error::Usage(format!(
                        "--{flag} is for --output_format=tfjs_graph_model; the frozen .pb goes to --output_graph"
                    )));
                }
                Ok(None)
            }
            "tfjs_graph_model" => Target::tfjs(values).map(Some),
            other => Err(Error::Usage(format!(
                "--output_format takes frozen_pb or tfjs_graph_model, not '{other}'"
            ))),
        }
    }

    fn tfjs(values: &OptionValues) -> Result<Target, Error> {
        if values.given("output_graph").is_some() {
            return Err(Error::Usage(
                "--output_graph writes a frozen .pb: with --output_format=tfjs_graph_model give --output_dir instead"
                    .into(),
            ));
        }
        let shown = values.non_empty("output_dir").ok_or_else(|| {
            Error::Usage(
                "--output_format=tfjs_graph_model needs --output_dir (a new or empty folder)"
                    .into(),
            )
        })?;
        let options = ExportOptions::from_values(values)?;
        check_dir(shown)?;
        Ok(Target {
            dir: PathBuf::from(shown),
            shown: shown.to_owned(),
            options,
        })
    }

    /// Freezes, lays out the model and writes it; returns the freeze's plan
    /// (for `--report`).
    pub fn export(
        &self,
        request: &FreezeRequest<'_>,
        verify: bool,
        say: &mut dyn FnMut(&str),
    ) -> Result<Plan, Error> {
        let mut prepared = tf_freeze::prepare(request)?;
        tfjs::prepare_export(&mut prepared, &self.options)?;
        let (mut shards, loaded) = Shards::for_prepared(&prepared)?;
        let export = tfjs::export(prepared, &loaded, &self.options)?;
        say_notes(&export.plan, say);
        let temp = TempDir::beside(&self.dir).map_err(|e| cannot_write(&self.shown, e))?;
        let shown_temp = temp.path.display().to_string();
        std::fs::write(temp.path.join("model.json"), &export.model_json)
            .map_err(|e| cannot_write(&shown_temp, e))?;
        let open = |name: &str| {
            let file = File::options()
                .write(true)
                .create_new(true)
                .open(temp.path.join(name))?;
            Ok(BufWriter::with_capacity(1 << 20, file))
        };
        let written =
            export
                .write_weights(open, shards.files(), verify)
                .map_err(|err| match err {
                    Error::Output { detail, .. } => Error::Output {
                        file: shown_temp.clone(),
                        detail,
                    },
                    other => other,
                })?;
        temp.rename_to(&self.dir)
            .map_err(|e| cannot_write(&self.shown, e))?;
        say(&format!(
            "{}, wrote model.json ({} bytes) and {} weight file{} ({written} bytes) to {}\n",
            did(&export.plan.summary),
            export.model_json.len(),
            export.files.len(),
            if export.files.len() == 1 { "" } else { "s" },
            self.shown
        ));
        Ok(export.plan)
    }
}

/// `--output_dir` must be a folder that is empty, or not exist yet.
fn check_dir(shown: &str) -> Result<(), Error> {
    let refuse = |detail: String| Error::Output {
        file: shown.to_owned(),
        detail,
    };
    match std::fs::metadata(shown) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(refuse(e.to_string())),
        Ok(meta) if !meta.is_dir() => Err(refuse("is not a folder".into())),
        Ok(_) => {
            let mut entries = std::fs::read_dir(shown).map_err(|e| refuse(e.to_string()))?;
            match entries.next() {
                None => Ok(()),
                Some(_) => Err(refuse(
                    "is not empty: the TF.js model is written only to a new or empty folder".into(),
                )),
            }
        }
    }
}

fn cannot_write(file: &str, e: std::io::Error) -> Error {
    Error::Output {
        file: file.to_owned(),
        detail: e.to_string(),
    }
}

/// `.<name>.tmp-<pid>` beside the target folder, removed unless renamed.
struct TempDir {
    path: PathBuf,
    kept: bool,
}

impl TempDir {
    fn beside(target: &Path) -> std::io::Result<TempDir> {
        let name = target
            .file_name()
            .ok_or_else(|| std::io::Error::other("the output folder has no name"))?;
        let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            std::fs::create_dir_all(parent)?;
        }
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".tmp-{}", std::process::id()));
        let path = parent.map_or_else(|| PathBuf::from(&temp_name), |p| p.join(&temp_name));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path)?;
        crate::output::set_writing(Some(path.clone()));
        Ok(TempDir { path, kept: false })
    }

    /// Renames the folder into place; an empty folder there is replaced.
    fn rename_to(mut self, target: &Path) -> std::io::Result<()> {
        if std::fs::rename(&self.path, target).is_err() {
            std::fs::remove_dir(target)?;
            std::fs::rename(&self.path, target)?;
        }
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        crate::output::set_writing(None);
        if !self.kept {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
