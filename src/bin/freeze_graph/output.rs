//! What `--output_graph` names, decided before freezing, and the temporary
//! file the frozen graph is written to. A rename would replace whatever the
//! name is: a symlink (its target keeping the old bytes), `/dev/null` itself,
//! or one of the inputs. So links are followed, devices and FIFOs are written
//! directly, and the rename only ever replaces a regular file that is not an
//! input. A temporary file left by Ctrl-C is removed on the way out.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tf_freeze::Error;

/// Where the frozen graph goes.
pub enum Output {
    /// A regular file, or a new one: written beside, then renamed over it.
    Replace { target: PathBuf, shown: String },
    /// A character device or FIFO (`/dev/stdout`, a pipe): written directly.
    Stream { target: PathBuf, shown: String },
}

/// Links followed at most, as the kernel's own limit (`ELOOP`).
const MAX_LINKS: usize = 40;

impl Output {
    /// Decides where `path` writes; `inputs` are the (path, what) of every
    /// file the run reads, which must not be replaced.
    pub fn resolve(path: &str, inputs: &[(&str, &str)]) -> Result<Output, Error> {
        // The kernel follows the links first: `/dev/stdout` ends at a magic
        // link (`/proc/self/fd/1`) whose text names no file, yet opens the pipe.
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Output::replace(path),
            Err(e) => return Err(refuse(path, &e.to_string())),
        };
        for (input, what) in inputs {
            if std::fs::metadata(input).is_ok_and(|other| same_file(&meta, &other)) {
                return Err(Error::Usage(format!(
                    "--output_graph={path} names the {what} {input}, which this run reads; \
                     writing there would destroy it, so choose another output path"
                )));
            }
        }
        match kind(&meta) {
            Kind::Regular => Output::replace(path),
            Kind::Stream => Ok(Output::Stream {
                target: PathBuf::from(path),
                shown: path.to_owned(),
            }),
            Kind::Other(what) => Err(refuse(
                path,
                &format!("it is {what}, not a file the frozen graph can be written to"),
            )),
        }
    }

    /// A regular or new file: the rename goes over the end of its links.
    fn replace(path: &str) -> Result<Output, Error> {
        let target = follow_links(Path::new(path)).map_err(|e| refuse(path, &e.to_string()))?;
        let shown = if target == Path::new(path) {
            path.to_owned()
        } else {
            format!("{path} (-> {})", target.display())
        };
        Ok(Output::Replace { target, shown })
    }

    /// The path as the user gave it (with its link target).
    pub fn shown(&self) -> &str {
        match self {
            Output::Replace { shown, .. } | Output::Stream { shown, .. } => shown,
        }
    }
}

fn refuse(file: &str, detail: &str) -> Error {
    Error::Output {
        file: file.to_owned(),
        detail: detail.to_owned(),
    }
}

/// The file a chain of symlinks ends at (which need not exist yet).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

enum Kind {
    Regular,
    Stream,
    Other(&'static str),
}

#[cfg(unix)]
fn kind(meta: &std::fs::Metadata) -> Kind {
    use std::os::unix::fs::FileTypeExt;
    let file_type = meta.file_type();
    if file_type.is_file() {
        Kind::Regular
    } else if file_type.is_char_device() || file_type.is_fifo() {
        Kind::Stream
    } else if file_type.is_block_device() {
        Kind::Other("a block device")
    } else if file_type.is_dir() {
        Kind::Other("a folder")
    } else {
        Kind::Other("a socket or other special file")
    }
}

#[cfg(not(unix))]
fn kind(meta: &std::fs::Metadata) -> Kind {
    if meta.is_file() {
        Kind::Regular
    } else {
        Kind::Other("not a regular file")
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// The temporary file (or folder) being written, removed if a signal ends the run.
static WRITING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Names the temporary file or folder a signal must remove (`None`: nothing).
pub fn set_writing(path: Option<PathBuf>) {
    if let Ok(mut writing) = WRITING.lock() {
        *writing = path;
    }
}

/// `<target>.tmp-<pid>`, beside the target so the rename stays on one file system.
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    pub fn beside(target: &Path) -> std::io::Result<TempFile> {
        let mut name = target
            .file_name()
            .ok_or_else(|| std::io::Error::other("the output path names no file"))?
            .to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        Ok(TempFile {
            path: target.with_file_name(name),
        })
    }

    pub fn shown(&self) -> String {
        self.path.display().to_string()
    }

    /// Creates the file, never through an existing name (a planted link).
    pub fn create(&self) -> std::io::Result<File> {
        let _ = std::fs::remove_file(&self.path);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)?;
        if let Ok(mut writing) = WRITING.lock() {
            *writing = Some(self.path.clone());
        }
        Ok(file)
    }

    pub fn rename_over(self, target: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, target)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Ok(mut writing) = WRITING.lock() {
            *writing = None;
        }
        // Gone already after a successful rename.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// On SIGINT or SIGTERM, removes the temporary file being written, then ends
/// the process as the signal would have.
#[cfg(unix)]
pub fn remove_temp_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            if let Ok(writing) = WRITING.lock() {
                if let Some(path) = writing.as_ref() {
                    if std::fs::remove_file(path).is_err() {
                        let _ = std::fs::remove_dir_all(path);
                    }
                }
            }
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
pub fn remove_temp_on_signal() {}

/// Fails now, before the freeze, when `--report` could not be written later.
pub fn check_writable(path: &str) -> Result<(), Error> {
    let existed = std::fs::symlink_metadata(path).is_ok();
    let opened = OpenOptions::new()
        .write(true)
        .create(!existed)
        .truncate(false)
        .open(path);
    match opened {
        Ok(_) if !existed => {
            let _ = std::fs::remove_file(path);
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(refuse(path, &e.to_string())),
    }
}
