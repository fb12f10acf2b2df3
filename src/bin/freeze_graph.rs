//! `freeze_graph`: TensorFlow's tool of that name, with its flags, over the
//! tf-freeze core. Reads the files, streams the frozen graph to disk (weights
//! are copied from the `.data` shards in chunks, checksummed on the way), and
//! says what it did on stderr. Exit 0 ok, 1 bad input, 2 bad usage.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tf_freeze::{Checkpoint, Error, FreezeOptions, FreezeRequest, InputFile, Plan, Segment};

const USAGE: &str = "\
usage: freeze_graph [flags]

Freezes a TensorFlow graph and checkpoint into one GraphDef (.pb), as
TensorFlow's freeze_graph does, without TensorFlow.

  --input_graph PATH          GraphDef, binary (.pb) or text (.pbtxt)
  --input_meta_graph PATH     MetaGraphDef (.meta); frozen instead of --input_graph
  --input_saver PATH          SaverDef, binary or text
  --input_saved_model_dir DIR SavedModel folder (saved_model.pb + variables/)
  --saved_model_tags TAGS     tag set of the MetaGraphDef to freeze (default serve)
  --input_checkpoint PREFIX   checkpoint prefix (model.ckpt-1000); the .index path works too
  --input_binary BOOL         hint only: binary and text are both recognised (default false)
  --output_node_names NAMES   comma-separated node names to keep (name or name:0);
                              for a SavedModel, default: its serving signature's outputs
  --output_graph PATH         where to write the frozen graph
  --clear_devices BOOL        blank node devices (default true)
  --initializer_nodes NAMES   nodes TF runs after restoring; checked
  --variable_names_whitelist NAMES   only freeze these variables
  --variable_names_denylist NAMES    keep these as variables (also --variable_names_blacklist)
  --restore_op_name NAME      deprecated in TF; checked against the graph when given
  --filename_tensor_name NAME deprecated in TF; checked against the graph when given
  --checkpoint_version N      1 or 2 (accepted for compatibility; reading detects the format)
  --verify_checksums BOOL     check the crc32c of every frozen tensor (default true)
  --allow_over_2gb BOOL       write a graph over protobuf's 2 GiB limit (TF cannot load it)

Help with choosing outputs and cleaning up for inference (all off by default):
  --inspect                   print a JSON report on stdout (suggested outputs, inputs,
                              variables, problems) and freeze nothing
  --report PATH               after freezing, write a JSON report of what was done
  --fix_ref_ops               rewrite RefSwitch/Assign/AssignSub/AssignAdd into value ops
  --placeholder_to_const LIST replace placeholders by constants: is_training=false,keep_prob=1.0
  --strip_training_nodes      bypass dropout, drop CheckNumerics
  --input_queue_placeholder NAME   cut an input queue: its dequeue becomes placeholder NAME
  --use_moving_averages       freeze ExponentialMovingAverage values where the checkpoint has them
  --help                      this text

Booleans are true/false/1/0 in any case, or bare (--clear_devices means true).
";

#[derive(Debug, Default)]
struct Flags {
    input_graph: Option<String>,
    input_meta_graph: Option<String>,
    input_saver: Option<String>,
    input_checkpoint: Option<String>,
    input_binary: Option<bool>,
    output_node_names: String,
    output_graph: Option<String>,
    clear_devices: Option<bool>,
    initializer_nodes: String,
    whitelist: String,
    denylist: String,
    restore_op_name: Option<String>,
    filename_tensor_name: Option<String>,
    input_saved_model_dir: Option<String>,
    saved_model_tags: String,
    verify_checksums: Option<bool>,
    allow_over_2gb: Option<bool>,
    inspect: bool,
    fix_ref_ops: bool,
    strip_training_nodes: bool,
    use_moving_averages: bool,
    placeholder_to_const: String,
    input_queue_placeholder: Option<String>,
    report: Option<String>,
    help: bool,
}

const BOOL_FLAGS: [&str; 9] = [
    "input_binary",
    "clear_devices",
    "verify_checksums",
    "allow_over_2gb",
    "inspect",
    "fix_ref_ops",
    "strip_training_nodes",
    "use_moving_averages",
    "help",
];

fn parse_bool(flag: &str, value: &str) -> Result<bool, Error> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Usage(format!(
            "--{flag} takes true or false (or 1/0), not '{value}'"
        ))),
    }
}

fn parse_flags(args: &[String]) -> Result<Flags, Error> {
    let mut flags = Flags {
        saved_model_tags: "serve".into(),
        ..Flags::default()
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(Error::Usage(format!(
                "unexpected argument '{arg}' (flags look like --name=value)"
            )));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let value = if BOOL_FLAGS.contains(&name) {
            // A bare boolean means true; a following true/false word is its value.
            match inline {
                Some(v) => v,
                None => match args.get(i) {
                    Some(next) if !next.starts_with('-') && parse_bool(name, next).is_ok() => {
                        i += 1;
                        next.clone()
                    }
                    _ => "true".to_owned(),
                },
            }
        } else {
            match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| Error::Usage(format!("--{name} needs a value")))?;
                    i += 1;
                    v
                }
            }
        };
        set_flag(&mut flags, name, value)?;
    }
    Ok(flags)
}

fn set_flag(flags: &mut Flags, name: &str, value: String) -> Result<(), Error> {
    let some = |v: String| if v.is_empty() { None } else { Some(v) };
    match name {
        "input_graph" => flags.input_graph = some(value),
        "input_meta_graph" => flags.input_meta_graph = some(value),
        "input_saver" => flags.input_saver = some(value),
        "input_checkpoint" => flags.input_checkpoint = some(value),
        "input_binary" => flags.input_binary = Some(parse_bool(name, &value)?),
        "output_node_names" => flags.output_node_names = value,
        "output_graph" => flags.output_graph = some(value),
        "clear_devices" => flags.clear_devices = Some(parse_bool(name, &value)?),
        "initializer_nodes" => flags.initializer_nodes = value,
        "variable_names_whitelist" => flags.whitelist = value,
        "variable_names_denylist" | "variable_names_blacklist" => flags.denylist = value,
        "restore_op_name" => flags.restore_op_name = some(value),
        "filename_tensor_name" => flags.filename_tensor_name = some(value),
        "input_saved_model_dir" => flags.input_saved_model_dir = some(value),
        "saved_model_tags" => flags.saved_model_tags = value,
        "checkpoint_version" => {
            if value != "1" && value != "2" {
                return Err(Error::Usage(format!(
                    "Invalid checkpoint version (must be '1' or '2'): {value}"
                )));
            }
        }
        "verify_checksums" => flags.verify_checksums = Some(parse_bool(name, &value)?),
        "allow_over_2gb" => flags.allow_over_2gb = Some(parse_bool(name, &value)?),
        "inspect" => flags.inspect = parse_bool(name, &value)?,
        "fix_ref_ops" => flags.fix_ref_ops = parse_bool(name, &value)?,
        "strip_training_nodes" => flags.strip_training_nodes = parse_bool(name, &value)?,
        "use_moving_averages" => flags.use_moving_averages = parse_bool(name, &value)?,
        "placeholder_to_const" => flags.placeholder_to_const = value,
        "input_queue_placeholder" => flags.input_queue_placeholder = some(value),
        "report" => flags.report = some(value),
        "help" => flags.help = parse_bool(name, &value)?,
        other => return Err(Error::Usage(format!("unknown flag --{other} (see --help)"))),
    }
    Ok(())
}

fn read_file(path: &str, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::MissingFile {
        file: path.to_owned(),
        detail: format!("cannot read the {what} ({e})"),
    })
}

/// The checkpoint prefix from what the user typed: the prefix itself, or the
/// path of its `.index` or of one of its `.data` shards.
fn checkpoint_prefix(given: &str) -> String {
    if let Some(prefix) = given.strip_suffix(".index") {
        return prefix.to_owned();
    }
    if let Some((prefix, shard)) = given.rsplit_once(".data-") {
        if shard.len() == 14 && shard.get(5..9) == Some("-of-") {
            return prefix.to_owned();
        }
    }
    given.to_owned()
}

/// The sizes of the `.data` shards found beside the index, by shard id.
fn shard_sizes(prefix: &str) -> Vec<Option<u64>> {
    let path = Path::new(prefix);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .and_then(|b| b.to_str())
        .unwrap_or_default();
    let mut sizes: Vec<Option<u64>> = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return sizes;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(base))
            .and_then(|r| r.strip_prefix(".data-"))
        else {
            continue;
        };
        let Some((shard, _count)) = rest.split_once("-of-") else {
            continue;
        };
        let (Ok(shard), Ok(meta)) = (shard.parse::<usize>(), entry.metadata()) else {
            continue;
        };
        if shard >= 1 << 20 {
            continue;
        }
        if sizes.len() <= shard {
            sizes.resize(shard + 1, None);
        }
        if let Some(slot) = sizes.get_mut(shard) {
            *slot = Some(meta.len());
        }
    }
    sizes
}

/// The SavedModel proto inside a SavedModel folder.
fn saved_model_file(dir: &str) -> Result<String, Error> {
    let dir = dir.trim_end_matches('/');
    for name in ["saved_model.pb", "saved_model.pbtxt"] {
        let path = format!("{dir}/{name}");
        if Path::new(&path).is_file() {
            return Ok(path);
        }
    }
    if Path::new(&format!("{dir}/saved_model.cpb")).is_file() {
        return Err(Error::Unsupported {
            what: format!("{dir}/saved_model.cpb: chunked SavedModels (written for models over 2 GB) cannot be read"),
        });
    }
    Err(Error::MissingFile {
        file: format!("{dir}/saved_model.pb"),
        detail: "SavedModel file does not exist (--input_saved_model_dir must name the SavedModel folder)".into(),
    })
}

/// The checkpoint's index: `<prefix>.index` (V2), or for a V1 checkpoint
/// its table file `<prefix>` or its shards `<prefix>-?????-of-?????`.
struct IndexFiles {
    name: String,
    bytes: Vec<u8>,
    more: Vec<(String, Vec<u8>)>,
}

fn open_index(prefix: &str) -> Result<IndexFiles, Error> {
    let index_path = format!("{prefix}.index");
    if Path::new(&index_path).exists() {
        let bytes = read_file(&index_path, "checkpoint index")?;
        return Ok(IndexFiles {
            name: index_path,
            bytes,
            more: Vec::new(),
        });
    }
    if Path::new(prefix).is_file() {
        let bytes = read_file(prefix, "checkpoint")?;
        if !tf_freeze::bundle::is_v1_table(&bytes) {
            return Err(Error::MissingFile {
                file: index_path,
                detail: format!(
                    "'{prefix}' is not a checkpoint prefix; pass the prefix (the .index name without .index)"
                ),
            });
        }
        return Ok(IndexFiles {
            name: prefix.to_owned(),
            bytes,
            more: Vec::new(),
        });
    }
    let mut shards = v1_shards(prefix);
    if !shards.is_empty() {
        let first = shards.remove(0);
        let bytes = read_file(&first, "checkpoint")?;
        let more = shards
            .into_iter()
            .map(|name| read_file(&name, "checkpoint").map(|b| (name, b)))
            .collect::<Result<_, _>>()?;
        return Ok(IndexFiles {
            name: first,
            bytes,
            more,
        });
    }
    Err(Error::MissingFile {
        file: index_path,
        detail: format!("Input checkpoint '{prefix}' doesn't exist!"),
    })
}

/// The files of a sharded V1 checkpoint, in shard order.
fn v1_shards(prefix: &str) -> Vec<String> {
    let path = Path::new(prefix);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .and_then(|b| b.to_str())
        .unwrap_or_default();
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| tf_freeze::bundle::is_v1_shard_of(base, name))
        .map(|name| dir.join(name).display().to_string())
        .collect();
    found.sort();
    found
}

fn input<'a>(path: &'a Option<String>, bytes: &'a Option<Vec<u8>>) -> Option<InputFile<'a>> {
    match (path, bytes) {
        (Some(name), Some(bytes)) => Some(InputFile { name, bytes }),
        _ => None,
    }
}

fn run(flags: Flags) -> Result<(), Error> {
    let saved_model_path = flags
        .input_saved_model_dir
        .as_deref()
        .map(saved_model_file)
        .transpose()?;
    let prefix = match (
        &flags.input_saved_model_dir,
        flags.input_checkpoint.as_deref(),
    ) {
        // TF reads a SavedModel's own variables, whatever --input_checkpoint says.
        (Some(dir), _) => format!("{}/variables/variables", dir.trim_end_matches('/')),
        (None, Some(given)) => checkpoint_prefix(given),
        // A report on the graph alone is still useful.
        (None, None) if flags.inspect => String::new(),
        (None, None) => {
            return Err(Error::Usage(
                "--input_checkpoint is required (the checkpoint prefix)".into(),
            ))
        }
    };
    if flags.input_graph.is_none() && flags.input_meta_graph.is_none() && saved_model_path.is_none()
    {
        let index = open_index(&prefix)?;
        return Err(tf_freeze::no_graph_error(&index.name, &index.bytes));
    }
    let graph_bytes = flags
        .input_graph
        .as_deref()
        .map(|p| read_file(p, "graph"))
        .transpose()?;
    let meta_bytes = flags
        .input_meta_graph
        .as_deref()
        .map(|p| read_file(p, "meta graph"))
        .transpose()?;
    let saved_model_bytes = saved_model_path
        .as_deref()
        .map(|p| read_file(p, "SavedModel"))
        .transpose()?;
    let saver_bytes = flags
        .input_saver
        .as_deref()
        .map(|p| read_file(p, "saver"))
        .transpose()?;
    let index = match open_index(&prefix) {
        Ok(index) => index,
        Err(err) if flags.inspect => {
            if !prefix.is_empty() {
                eprintln!("freeze_graph: warning: {err}; reporting on the graph alone");
            }
            IndexFiles {
                name: String::new(),
                bytes: Vec::new(),
                more: Vec::new(),
            }
        }
        Err(err) => return Err(err),
    };

    let list = |s: &str| {
        let items = tf_freeze::split_list(s);
        if items.is_empty() {
            None
        } else {
            Some(items)
        }
    };
    let request = FreezeRequest {
        graph: input(&flags.input_graph, &graph_bytes),
        meta_graph: input(&flags.input_meta_graph, &meta_bytes),
        saver: input(&flags.input_saver, &saver_bytes),
        saved_model: input(&saved_model_path, &saved_model_bytes),
        saved_model_tags: flags
            .saved_model_tags
            .split(',')
            .map(|t| t.trim().to_owned())
            .collect(),
        checkpoint: Checkpoint {
            prefix: &prefix,
            index: InputFile {
                name: &index.name,
                bytes: &index.bytes,
            },
            more_tables: index
                .more
                .iter()
                .map(|(name, bytes)| InputFile { name, bytes })
                .collect(),
            shard_sizes: shard_sizes(&prefix),
        },
        input_binary: flags.input_binary,
        options: FreezeOptions {
            output_node_names: tf_freeze::split_list(&flags.output_node_names),
            clear_devices: flags.clear_devices.unwrap_or(true),
            variable_names_whitelist: list(&flags.whitelist),
            variable_names_denylist: list(&flags.denylist),
            initializer_nodes: tf_freeze::split_list(&flags.initializer_nodes),
            restore_op_name: flags.restore_op_name.clone(),
            filename_tensor_name: flags.filename_tensor_name.clone(),
            allow_over_2gb: flags.allow_over_2gb.unwrap_or(false),
            fix_ref_ops: flags.fix_ref_ops,
            placeholder_to_const: tf_freeze::cleanup::parse_assignments(
                &flags.placeholder_to_const,
            )
            .map_err(|e| Error::Usage(format!("--placeholder_to_const: {e}")))?,
            strip_training_nodes: flags.strip_training_nodes,
            input_placeholder: flags.input_queue_placeholder.clone(),
            use_moving_averages: flags.use_moving_averages,
        },
    };
    if flags.inspect {
        let report = tf_freeze::inspect_request(&request)?;
        print!("{}", report.to_json());
        return Ok(());
    }
    let prepared = tf_freeze::prepare(&request)?;
    let mut shards = Shards::new(prepared.data_files().to_vec());
    let loaded = prepared
        .reads()
        .iter()
        .map(|r| shards.read(r.shard, r.offset, r.len))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = prepared.finish(&loaded)?;
    for warning in &plan.warnings {
        eprintln!("freeze_graph: warning: {warning}");
    }
    let verify = flags.verify_checksums.unwrap_or(true);
    let summary = &plan.summary;
    for change in &summary.changes {
        eprintln!("freeze_graph: {change}");
    }
    match &flags.output_graph {
        Some(path) => {
            write_plan(&plan, &mut shards, path, verify)?;
            eprintln!(
                "froze {} variable{}, kept {} node{}, wrote {} bytes to {path}",
                summary.variables_frozen,
                plural(summary.variables_frozen),
                summary.nodes_kept,
                plural(summary.nodes_kept),
                summary.output_bytes
            );
        }
        None => eprintln!(
            "froze {} variable{}, kept {} node{} ({} bytes); no --output_graph given, nothing written",
            summary.variables_frozen,
            plural(summary.variables_frozen),
            summary.nodes_kept,
            plural(summary.nodes_kept),
            summary.output_bytes
        ),
    }
    if let Some(path) = &flags.report {
        let command = command_line();
        std::fs::write(path, plan.report_json(&command)).map_err(|e| Error::Output {
            file: path.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
}

/// This run's command line, quoted for a POSIX shell.
fn command_line() -> String {
    let quote = |arg: String| {
        if !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+".contains(c))
        {
            arg
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::iter::once("freeze_graph".to_owned())
        .chain(std::env::args().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Open data shards, read on demand.
struct Shards {
    names: Vec<String>,
    open: Vec<Option<File>>,
}

impl Shards {
    fn new(names: Vec<String>) -> Self {
        let open = names.iter().map(|_| None).collect();
        Shards { names, open }
    }

    fn name(&self, shard: u32) -> String {
        self.names.get(shard as usize).cloned().unwrap_or_default()
    }

    fn file(&mut self, shard: u32, offset: u64) -> Result<&mut File, Error> {
        let name = self.name(shard);
        let slot = self
            .open
            .get_mut(shard as usize)
            .ok_or_else(|| Error::MissingFile {
                file: name.clone(),
                detail: "no such shard".into(),
            })?;
        if slot.is_none() {
            let opened = File::open(&name).map_err(|e| Error::MissingFile {
                file: name.clone(),
                detail: format!("cannot open the data shard ({e})"),
            })?;
            *slot = Some(opened);
        }
        let file = slot.as_mut().ok_or_else(|| Error::MissingFile {
            file: name.clone(),
            detail: "cannot open".into(),
        })?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(&name, e))?;
        Ok(file)
    }

    fn read(&mut self, shard: u32, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        let name = self.name(shard);
        let file = self.file(shard, offset)?;
        let mut bytes = Vec::new();
        file.take(len)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&name, e))?;
        if bytes.len() as u64 != len {
            return Err(Error::Corrupt {
                file: name,
                detail: format!(
                    "ends before byte {}: the file is truncated",
                    offset.saturating_add(len)
                ),
            });
        }
        Ok(bytes)
    }
}

fn io_error(file: &str, e: std::io::Error) -> Error {
    Error::Corrupt {
        file: file.to_owned(),
        detail: format!("read failed: {e}"),
    }
}

/// Writes the plan to a temporary file beside `path`, renamed into place only
/// when everything (checksums included) succeeded.
fn write_plan(plan: &Plan, shards: &mut Shards, path: &str, verify: bool) -> Result<(), Error> {
    let temp = format!("{path}.tmp-{}", std::process::id());
    let result = write_segments(plan, shards, &temp, verify).and_then(|()| {
        std::fs::rename(&temp, path).map_err(|e| Error::Output {
            file: path.to_owned(),
            detail: e.to_string(),
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn write_segments(plan: &Plan, shards: &mut Shards, temp: &str, verify: bool) -> Result<(), Error> {
    let cannot = |e: std::io::Error| Error::Output {
        file: temp.to_owned(),
        detail: e.to_string(),
    };
    let mut out = BufWriter::with_capacity(1 << 20, File::create(temp).map_err(cannot)?);
    let mut buffer = vec![0u8; 1 << 20];
    for segment in &plan.segments {
        match segment {
            Segment::Bytes(bytes) => out.write_all(bytes).map_err(cannot)?,
            Segment::Shard {
                shard,
                offset,
                len,
                crc32c,
                tensor,
            } => {
                let name = shards.name(*shard);
                let file = shards.file(*shard, *offset)?;
                let mut left = *len;
                let mut crc = 0u32;
                while left > 0 {
                    let want =
                        usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
                    let chunk = buffer.get_mut(..want).unwrap_or_default();
                    file.read_exact(chunk).map_err(|e| Error::Corrupt {
                        file: name.clone(),
                        detail: format!(
                            "tensor '{tensor}' cannot be read ({e}): the file is truncated"
                        ),
                    })?;
                    if verify {
                        crc = crc32c::crc32c_append(crc, chunk);
                    }
                    out.write_all(chunk).map_err(cannot)?;
                    left -= want as u64;
                }
                if verify && crc != *crc32c {
                    return Err(Error::Checksum {
                        file: name,
                        what: format!("tensor '{tensor}'"),
                        stored: *crc32c,
                        computed: crc,
                    });
                }
            }
        }
    }
    out.flush().map_err(cannot)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags = match parse_flags(&args) {
        Ok(flags) => flags,
        Err(err) => {
            eprintln!("freeze_graph: {err}");
            eprintln!("(see --help)");
            return ExitCode::from(2);
        }
    };
    if flags.help || args.is_empty() {
        eprint!("{USAGE}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    match run(flags) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("freeze_graph: {err}");
            ExitCode::from(if err.is_usage() { 2 } else { 1 })
        }
    }
}
